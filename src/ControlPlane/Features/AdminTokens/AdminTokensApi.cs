using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Features.AdminTokens;

/// <summary>Admin tokens over <c>/api/v1</c> (for the CLI and for rotating a token by script): <see cref="AdminTokenService"/>'s rules.</summary>
public static class AdminTokensApi
{
    public sealed record AdminTokenJson(Guid Id, string Name, string Prefix, string Role, IReadOnlyList<Guid> TeamIds, string CreatedBy, DateTime CreatedAt,
        DateTime ExpiresAt, DateTime? LastUsedAt, DateTime? RevokedAt, string? RevokedBy);

    public sealed record CreatedAdminTokenJson(AdminTokenJson Token, string Secret);

    public sealed record NewAdminTokenBody(string? Name, string? Role, IReadOnlyList<Guid>? TeamIds, int? ExpiresInDays);

    public static RouteGroupBuilder MapAdminTokensApi(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/admin-tokens").WithTags("Admin tokens");
        tokens.MapGet("", ListAsync).RequireAuthorization(Policies.ApiTokensManage)
            .WithSummary("List admin tokens (an Owner all, an Admin their own)").Produces<Page<AdminTokenJson>>();
        tokens.MapGet("/{id:guid}", GetAsync).RequireAuthorization(Policies.ApiTokensManage)
            .WithSummary("Read one admin token (never its secret), with its ETag").Produces<AdminTokenJson>();
        tokens.MapPost("", CreateAsync).RequireAuthorization(Policies.ApiTokensManage).Idempotent()
            .WithSummary("Create an admin token with a role no greater than the caller's; the answer holds its secret, shown once")
            .Accepts<NewAdminTokenBody>("application/json").Produces<CreatedAdminTokenJson>(StatusCodes.Status201Created);
        tokens.MapDelete("/{id:guid}", RevokeAsync).RequireAuthorization(Policies.ApiTokensManage)
            .WithSummary("Revoke an admin token: refused from the next request on").Produces<AdminTokenJson>();
        return api;
    }

    private static async Task<IResult> ListAsync(HttpContext http, AdminTokenService tokens, CancellationToken ct) =>
        ApiPaging.Of(http.Request, (await tokens.ListAsync(ManagementApi.ActorOf(http), ct)).Select(Json), t => t.Id);

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, AdminTokenService tokens, CancellationToken ct) =>
        await FindAsync(http, tokens, id, ct) is { } token ? Tagged(http, token) : NoToken(id);

    private static async Task<IResult> CreateAsync(HttpContext http, AdminTokenService tokens, CancellationToken ct)
    {
        var (body, bad) = await ApiJson.ReadAsync<NewAdminTokenBody>(http.Request, ct);
        if (bad is not null) return bad;
        if (string.IsNullOrWhiteSpace(body!.Name) || body.Name.Trim().Length > AdminTokenService.MaxNameLength)
            return ApiProblem.Invalid("name", $"A token needs a name of at most {AdminTokenService.MaxNameLength} characters.");
        var actor = ManagementApi.ActorOf(http);
        if (body.Role is not { } role || !AdminTokenService.GrantableBy(actor.Role).Contains(role))
            return ApiProblem.Invalid("role", $"role is one of {string.Join(", ", AdminTokenService.GrantableBy(actor.Role))}.");
        var days = body.ExpiresInDays ?? AdminTokenService.DefaultDays;
        if (days is < 1 or > AdminTokenService.LongestDays) return ApiProblem.Invalid("expiresInDays", $"expiresInDays is from 1 to {AdminTokenService.LongestDays}.");
        var made = await tokens.CreateAsync(actor, new AdminTokenForm { Name = body.Name, Role = role, TeamIds = [.. body.TeamIds ?? []], ExpiresInDays = days }, ct);
        if (!made.Succeeded) return made.Error!.StartsWith("A token limited", StringComparison.Ordinal) ? ApiProblem.Forbidden(made.Error) : ManagementApi.Refusal(made.Error);
        return TypedResults.Created($"{ManagementApi.Prefix}/admin-tokens/{made.Value!.Token.Id}", new CreatedAdminTokenJson(Json(made.Value.Token), made.Value.Plaintext));
    }

    private static async Task<IResult> RevokeAsync(Guid id, HttpContext http, AdminTokenService tokens, CancellationToken ct)
    {
        if (await FindAsync(http, tokens, id, ct) is not { } token) return NoToken(id);
        if (ApiETag.Check(http.Request, token with { LastUsedAt = null }) is { } stale) return stale;
        var revoked = await tokens.RevokeAsync(ManagementApi.ActorOf(http), id, ct);
        return revoked.Succeeded ? Tagged(http, Json(revoked.Value!)) : ManagementApi.Refusal(revoked.Error!, StatusCodes.Status409Conflict);
    }

    private static async Task<AdminTokenJson?> FindAsync(HttpContext http, AdminTokenService tokens, Guid id, CancellationToken ct) =>
        (await tokens.ListAsync(ManagementApi.ActorOf(http), ct)).Where(t => t.Id == id).Select(Json).FirstOrDefault();

    /// <summary>The ETag leaves out when the token was last used: using a token is not editing it.</summary>
    private static Ok<AdminTokenJson> Tagged(HttpContext http, AdminTokenJson token)
    {
        http.Response.Headers.ETag = ApiETag.Of(token with { LastUsedAt = null });
        return TypedResults.Ok(token);
    }

    private static AdminTokenJson Json(AdminToken t) => new(t.Id, t.Name, t.Prefix, t.Role, t.Teams, t.CreatedBy, t.CreatedAt, t.ExpiresAt, t.LastUsedAt,
        t.RevokedAt, t.RevokedBy);

    private static ProblemHttpResult NoToken(Guid id) => ApiProblem.NotFound($"There is no admin token {id} that you may see.");
}
