using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Infrastructure.Api;

/// <summary>
/// <c>Idempotency-Key</c> on a create (<see cref="ManagementApi.Idempotent"/>): the first request with a key runs and its
/// successful answer is kept; the same key with the same body gets that answer again (marked <c>Idempotent-Replayed</c>),
/// without running twice; the same key with another body is a 422; while the first is still running, a 409. A failed
/// create keeps nothing, so it may be retried with the same key. Keys belong to their sender and expire after a day.
/// </summary>
public sealed class Idempotency(IDbContextFactory<ControlPlaneDb> dbFactory, IDataProtectionProvider protection, TimeProvider clock) : IEndpointFilter
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 200;
    public static readonly TimeSpan Kept = TimeSpan.FromHours(24);

    private readonly IDataProtector _protector = protection.CreateProtector("ControlPlane.Api.Idempotency.v1");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var key = http.Request.Headers[Header].ToString();
        if (key.Length == 0) return await next(context);
        if (key.Length > MaxKeyLength) return ApiProblem.Invalid(Header, $"An Idempotency-Key has at most {MaxKeyLength} characters.");
        var ct = http.RequestAborted;

        http.Request.EnableBuffering();
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, ct);
        http.Request.Body.Position = 0;
        byte[] request = [.. Encoding.UTF8.GetBytes($"{http.Request.Method} {http.Request.Path}\n"), .. body.ToArray()];
        var hash = Convert.ToHexStringLower(SHA256.HashData(request));
        var owner = OwnerOf(http.User);
        var now = clock.GetUtcNow().UtcDateTime;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var records = db.Set<IdempotencyRecord>();
        var expired = now - Kept;
        await records.Where(r => r.CreatedAt < expired).ExecuteDeleteAsync(ct);
        if (await records.AsNoTracking().FirstOrDefaultAsync(r => r.Owner == owner && r.Key == key, ct) is { } seen) return Replay(http, seen, hash);

        var record = new IdempotencyRecord { Id = Guid.CreateVersion7(), Owner = owner, Key = key, RequestHash = hash, CreatedAt = now };
        records.Add(record);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same key arrived twice at once: the other one claimed it.
            db.ChangeTracker.Clear();
            var other = await records.AsNoTracking().FirstOrDefaultAsync(r => r.Owner == owner && r.Key == key, ct);
            return other is null ? ApiProblem.Conflict("Another request with this Idempotency-Key is being handled; retry in a moment.") : Replay(http, other, hash);
        }

        try
        {
            if (await next(context) is not IResult result)
                throw new InvalidOperationException("An idempotent endpoint returns an IResult.");
            // Run the answer into a buffer to keep it, then send it on.
            var original = http.Response.Body;
            using var buffer = new MemoryStream();
            http.Response.Body = buffer;
            try
            {
                await result.ExecuteAsync(http);
            }
            finally
            {
                http.Response.Body = original;
            }
            if (http.Response.StatusCode is >= 200 and < 300)
            {
                record.StatusCode = http.Response.StatusCode;
                record.ResponseBody = _protector.Protect(Encoding.UTF8.GetString(buffer.ToArray()));
                record.Location = http.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null;
                await db.SaveChangesAsync(CancellationToken.None);
            }
            else
            {
                await ForgetAsync(db, record);
            }
            buffer.Position = 0;
            await buffer.CopyToAsync(original, ct);
            return Results.Empty;
        }
        catch
        {
            await ForgetAsync(db, record);
            throw;
        }
    }

    private IResult Replay(HttpContext http, IdempotencyRecord seen, string hash)
    {
        if (seen.RequestHash != hash)
            return ApiProblem.Unprocessable("This Idempotency-Key was used with a different request; use a new key for a new request.");
        if (seen.StatusCode == 0 || seen.ResponseBody is null)
            return ApiProblem.Conflict("The first request with this Idempotency-Key is still being handled; retry in a moment.");
        http.Response.Headers[ReplayedHeader] = "true";
        if (seen.Location is not null) http.Response.Headers.Location = seen.Location;
        return Results.Text(_protector.Unprotect(seen.ResponseBody), "application/json; charset=utf-8", Encoding.UTF8, seen.StatusCode);
    }

    private static async Task ForgetAsync(ControlPlaneDb db, IdempotencyRecord record)
    {
        db.ChangeTracker.Clear();
        await db.Set<IdempotencyRecord>().Where(r => r.Id == record.Id).ExecuteDeleteAsync(CancellationToken.None);
    }

    private static string OwnerOf(ClaimsPrincipal user) =>
        user.FindFirstValue(Policies.AdminTokenClaim) is { } token ? $"token:{token}"
        : user.FindFirstValue(ClaimTypes.NameIdentifier) is { } person ? $"user:{person}"
        : $"name:{user.Identity?.Name}";
}
