using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Features.Keys;

/// <summary>Virtual API keys over <c>/api/v1</c>: the Keys page's policies and <see cref="KeyService"/>'s rules; a secret is in the create or rotate answer only.</summary>
public static class KeysApi
{
    public sealed record KeyJson(Guid Id, string Name, string Prefix, Guid TeamId, string TeamPath, DateTime CreatedAt, string CreatedBy,
        DateTime? ExpiresAt, DateTime? RevokedAt, string Status, int? RequestsPerMinute, int? TokensPerMinute, int? CallerCeilingCalls);

    /// <summary>A key just made, with its secret: shown this once (an Idempotency-Key replay shows it again, for a day).</summary>
    public sealed record CreatedKeyJson(KeyJson Key, string Secret);

    public sealed record NewKey(Guid? TeamId, string? Name, DateTime? ExpiresAt, Guid? ProjectId);

    public sealed record Rotation(int? GraceMinutes);

    public const int DefaultGraceMinutes = 60;

    public static RouteGroupBuilder MapKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/keys").WithTags("Keys");
        keys.MapGet("", ListAsync).RequireAuthorization(Policies.KeysView)
            .WithSummary("List the keys of the teams the caller may see (?teamId= for one team)").Produces<Page<KeyJson>>();
        keys.MapGet("/{id:guid}", GetAsync).RequireAuthorization(Policies.KeysView)
            .WithSummary("Read one key (never its secret), with its ETag").Produces<KeyJson>();
        keys.MapPost("", CreateAsync).RequireAuthorization(Policies.KeysManage).Idempotent()
            .WithSummary("Create a key for a team the caller manages; the answer holds its secret, shown once")
            .Accepts<NewKey>("application/json").Produces<CreatedKeyJson>(StatusCodes.Status201Created);
        keys.MapPost("/{id:guid}/rotate", RotateAsync).RequireAuthorization(Policies.KeysManage).Idempotent()
            .WithSummary("Replace a key: the new key's secret is in the answer; the old key keeps working for graceMinutes (default 60)")
            .Accepts<Rotation>("application/json").Produces<CreatedKeyJson>(StatusCodes.Status201Created);
        keys.MapDelete("/{id:guid}", RevokeAsync).RequireAuthorization(Policies.KeysManage)
            .WithSummary("Revoke a key: every node refuses it within seconds").Produces<KeyJson>();
        return api;
    }

    private static async Task<IResult> ListAsync(HttpContext http, KeyService keys, CancellationToken ct)
    {
        Guid? teamId = null;
        if (http.Request.Query["teamId"].ToString() is { Length: > 0 } team)
        {
            if (!Guid.TryParse(team, out var t)) return ApiProblem.Invalid("teamId", "teamId is a team's id.");
            teamId = t;
        }
        return ApiPaging.Of(http.Request, (await VisibleAsync(http, keys, ct)).Where(k => teamId is null || k.TeamId == teamId), k => k.Id);
    }

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, KeyService keys, CancellationToken ct) =>
        (await VisibleAsync(http, keys, ct)).FirstOrDefault(k => k.Id == id) is { } key ? ApiETag.Ok(http, key) : NoKey(id);

    private static async Task<IResult> CreateAsync(HttpContext http, KeyService keys, CancellationToken ct)
    {
        var (body, bad) = await ApiJson.ReadAsync<NewKey>(http.Request, ct);
        if (bad is not null) return bad;
        if (body!.TeamId is not { } teamId) return ApiProblem.Invalid("teamId", "Name the team the key is for (teamId).");
        if (body.Name?.Trim().Length > KeyService.MaxNameLength) return ApiProblem.Invalid("name", $"A key name has at most {KeyService.MaxNameLength} characters.");
        var made = await keys.CreateAsync(ManagementApi.ActorOf(http), teamId, body.Name, body.ExpiresAt, body.ProjectId, ct);
        if (!made.Succeeded)
            return made.Error!.StartsWith("The expiry", StringComparison.Ordinal) ? ApiProblem.Invalid("expiresAt", made.Error) : ManagementApi.Refusal(made.Error);
        return await CreatedAsync(http, keys, made.Value!, ct);
    }

    private static async Task<IResult> RotateAsync(Guid id, HttpContext http, KeyService keys, CancellationToken ct)
    {
        Rotation? body = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            (body, var bad) = await ApiJson.ReadAsync<Rotation>(http.Request, ct);
            if (bad is not null) return bad;
        }
        var minutes = body?.GraceMinutes ?? DefaultGraceMinutes;
        if (minutes < 0 || minutes > KeyService.LongestGrace.TotalMinutes)
            return ApiProblem.Invalid("graceMinutes", $"graceMinutes is between 0 and {KeyService.LongestGrace.TotalMinutes:0}.");
        if ((await VisibleAsync(http, keys, ct)).All(k => k.Id != id)) return NoKey(id);
        var made = await keys.RotateAsync(ManagementApi.ActorOf(http), id, TimeSpan.FromMinutes(minutes), ct);
        return made.Succeeded ? await CreatedAsync(http, keys, made.Value!, ct) : ManagementApi.Refusal(made.Error!, StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> RevokeAsync(Guid id, HttpContext http, KeyService keys, CancellationToken ct)
    {
        if ((await VisibleAsync(http, keys, ct)).FirstOrDefault(k => k.Id == id) is not { } key) return NoKey(id);
        if (ApiETag.Check(http.Request, key) is { } stale) return stale;
        var revoked = await keys.RevokeAsync(ManagementApi.ActorOf(http), id, ct);
        if (!revoked.Succeeded) return ManagementApi.Refusal(revoked.Error!, StatusCodes.Status409Conflict);
        return ApiETag.Ok(http, (await VisibleAsync(http, keys, ct)).First(k => k.Id == id));
    }

    private static async Task<IResult> CreatedAsync(HttpContext http, KeyService keys, CreatedKey made, CancellationToken ct)
    {
        var key = (await VisibleAsync(http, keys, ct)).First(k => k.Id == made.Key.Id);
        return TypedResults.Created($"{ManagementApi.Prefix}/keys/{key.Id}", new CreatedKeyJson(key, made.Plaintext));
    }

    private static async Task<List<KeyJson>> VisibleAsync(HttpContext http, KeyService keys, CancellationToken ct) =>
        [.. (await keys.ListAsync(ManagementApi.ActorOf(http), ct: ct)).Select(k => new KeyJson(k.Id, k.Name, k.Prefix, k.TeamId, k.TeamPath, k.CreatedAt, k.CreatedBy,
            k.ExpiresAt, k.RevokedAt, k.Status.ToString(), k.RequestsPerMinute, k.TokensPerMinute, k.CallerCeilingCalls))];

    private static ProblemHttpResult NoKey(Guid id) => ApiProblem.NotFound($"There is no key {id} that you may see.");
}
