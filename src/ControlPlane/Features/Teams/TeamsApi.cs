using System.Text.Json.Nodes;
using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Features.Teams;

/// <summary>Teams and their members over <c>/api/v1</c>: the Teams page's policies, <see cref="TeamDirectory"/>'s rules.</summary>
public static class TeamsApi
{
    public sealed record TeamJson(Guid Id, string Name, Guid? ParentTeamId, string Path, int MemberCount, int? KeepPayloadsDays,
        bool AllowKeyTransferRequests, bool AllowKeyTransferDecisions);

    public sealed record MemberJson(Guid UserId, string DisplayName, string Email, string Role);

    public sealed record NewTeam(string? Name, Guid? ParentTeamId);

    public sealed record NewMember(Guid? UserId, string? Role);

    public static RouteGroupBuilder MapTeamsApi(this RouteGroupBuilder api)
    {
        var teams = api.MapGroup("/teams").WithTags("Teams");
        teams.MapGet("", ListAsync).RequireAuthorization(Policies.TeamsView)
            .WithSummary("List the teams the caller may see").Produces<Page<TeamJson>>();
        teams.MapGet("/{id:guid}", GetAsync).RequireAuthorization(Policies.TeamsView)
            .WithSummary("Read one team (with its ETag)").Produces<TeamJson>();
        teams.MapPost("", CreateAsync).RequireAuthorization(Policies.TeamsManage).Idempotent()
            .WithSummary("Create a team, optionally under a parent team").Accepts<NewTeam>("application/json").Produces<TeamJson>(StatusCodes.Status201Created);
        teams.MapPatch("/{id:guid}", UpdateAsync).RequireAuthorization(Policies.TeamsManage)
            .WithSummary("Change a team's settings: keepPayloadsDays, allowKeyTransferRequests, allowKeyTransferDecisions")
            .Accepts<JsonObject>("application/json").Produces<TeamJson>();
        teams.MapGet("/{id:guid}/members", MembersAsync).RequireAuthorization(Policies.TeamsView)
            .WithSummary("List a team's members").Produces<Page<MemberJson>>();
        teams.MapGet("/{id:guid}/members/{userId:guid}", MemberAsync).RequireAuthorization(Policies.TeamsView)
            .WithSummary("Read one member of a team (with its ETag)").Produces<MemberJson>();
        teams.MapPost("/{id:guid}/members", AddMemberAsync).RequireAuthorization(Policies.TeamsManage).Idempotent()
            .WithSummary("Add a person to a team as Lead or Member").Accepts<NewMember>("application/json").Produces<MemberJson>(StatusCodes.Status201Created);
        teams.MapDelete("/{id:guid}/members/{userId:guid}", RemoveMemberAsync).RequireAuthorization(Policies.TeamsManage)
            .WithSummary("Remove a person from a team").Produces(StatusCodes.Status204NoContent);
        return api;
    }

    private static async Task<IResult> ListAsync(HttpContext http, TeamDirectory directory, CancellationToken ct) =>
        ApiPaging.Of(http.Request, await VisibleAsync(http, directory, ct), t => t.Id);

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, TeamDirectory directory, CancellationToken ct) =>
        (await VisibleAsync(http, directory, ct)).FirstOrDefault(t => t.Id == id) is { } team ? ApiETag.Ok(http, team) : NoTeam(id);

    private static async Task<IResult> CreateAsync(HttpContext http, TeamDirectory directory, CancellationToken ct)
    {
        var (body, bad) = await ApiJson.ReadAsync<NewTeam>(http.Request, ct);
        if (bad is not null) return bad;
        if (string.IsNullOrWhiteSpace(body!.Name)) return ApiProblem.Invalid("name", "A team needs a name.");
        var made = await directory.CreateAsync(ManagementApi.ActorOf(http), body.Name, body.ParentTeamId, ct);
        if (!made.Succeeded) return ManagementApi.Refusal(made.Error!);
        var team = (await VisibleAsync(http, directory, ct)).First(t => t.Id == made.Value!.Id);
        return TypedResults.Created($"{ManagementApi.Prefix}/teams/{team.Id}", team);
    }

    private static async Task<IResult> UpdateAsync(Guid id, HttpContext http, TeamDirectory directory, CancellationToken ct)
    {
        var (body, bad) = await ApiJson.ReadAsync<JsonObject>(http.Request, ct);
        if (bad is not null) return bad;
        if ((await VisibleAsync(http, directory, ct)).FirstOrDefault(t => t.Id == id) is not { } team) return NoTeam(id);
        if (ApiETag.Check(http.Request, team) is { } stale) return stale;
        var actor = ManagementApi.ActorOf(http);

        var patch = body!;
        foreach (var field in patch.Select(p => p.Key))
            if (field is not ("keepPayloadsDays" or "allowKeyTransferRequests" or "allowKeyTransferDecisions"))
                return ApiProblem.Invalid(field, $"'{field}' cannot be changed here; send keepPayloadsDays, allowKeyTransferRequests or allowKeyTransferDecisions.");
        if (patch.TryGetPropertyValue("keepPayloadsDays", out var keep))
        {
            int? days;
            try { days = keep?.GetValue<int>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException) { return ApiProblem.Invalid("keepPayloadsDays", "keepPayloadsDays is a whole number of days, or null to keep none."); }
            var kept = await directory.SetPayloadRetentionAsync(actor, id, days, ct);
            if (!kept.Succeeded) return ManagementApi.Refusal(kept.Error!);
        }
        if (patch.ContainsKey("allowKeyTransferRequests") || patch.ContainsKey("allowKeyTransferDecisions"))
        {
            if (!TryFlag(patch, "allowKeyTransferRequests", team.AllowKeyTransferRequests, out var requests)) return ApiProblem.Invalid("allowKeyTransferRequests", "allowKeyTransferRequests is true or false.");
            if (!TryFlag(patch, "allowKeyTransferDecisions", team.AllowKeyTransferDecisions, out var decisions)) return ApiProblem.Invalid("allowKeyTransferDecisions", "allowKeyTransferDecisions is true or false.");
            var set = await directory.SetKeyTransferApiAsync(actor, id, requests, decisions, ct);
            if (!set.Succeeded) return ManagementApi.Refusal(set.Error!);
        }
        return ApiETag.Ok(http, (await VisibleAsync(http, directory, ct)).First(t => t.Id == id));
    }

    private static async Task<IResult> MembersAsync(Guid id, HttpContext http, TeamDirectory directory, CancellationToken ct)
    {
        if (!(await directory.VisibleToAsync(ManagementApi.ActorOf(http), ct)).Includes(id)) return NoTeam(id);
        return ApiPaging.Of(http.Request, await MemberListAsync(directory, id, ct), m => m.UserId);
    }

    private static async Task<IResult> MemberAsync(Guid id, Guid userId, HttpContext http, TeamDirectory directory, CancellationToken ct)
    {
        if (!(await directory.VisibleToAsync(ManagementApi.ActorOf(http), ct)).Includes(id)) return NoTeam(id);
        return (await MemberListAsync(directory, id, ct)).FirstOrDefault(m => m.UserId == userId) is { } member
            ? ApiETag.Ok(http, member) : ApiProblem.NotFound($"That person is not in team {id}.");
    }

    private static async Task<IResult> AddMemberAsync(Guid id, HttpContext http, TeamDirectory directory, CancellationToken ct)
    {
        var (body, bad) = await ApiJson.ReadAsync<NewMember>(http.Request, ct);
        if (bad is not null) return bad;
        if (body!.UserId is not { } userId) return ApiProblem.Invalid("userId", "Name the person by their id (userId).");
        if (body.Role is not { } role || !TeamRoles.All.Contains(role)) return ApiProblem.Invalid("role", $"role is one of {string.Join(", ", TeamRoles.All)}.");
        var actor = ManagementApi.ActorOf(http);
        if (!(await directory.VisibleToAsync(actor, ct)).Includes(id)) return NoTeam(id);
        var added = await directory.AddMemberAsync(actor, id, userId, role, ct);
        if (!added.Succeeded) return ManagementApi.Refusal(added.Error!);
        var member = (await MemberListAsync(directory, id, ct)).First(m => m.UserId == userId);
        return TypedResults.Created($"{ManagementApi.Prefix}/teams/{id}/members/{userId}", member);
    }

    private static async Task<IResult> RemoveMemberAsync(Guid id, Guid userId, HttpContext http, TeamDirectory directory, CancellationToken ct)
    {
        var actor = ManagementApi.ActorOf(http);
        if (!(await directory.VisibleToAsync(actor, ct)).Includes(id)) return NoTeam(id);
        if ((await MemberListAsync(directory, id, ct)).FirstOrDefault(m => m.UserId == userId) is not { } member) return ApiProblem.NotFound($"That person is not in team {id}.");
        if (ApiETag.Check(http.Request, member) is { } stale) return stale;
        var removed = await directory.RemoveMemberAsync(actor, id, userId, ct);
        return removed.Succeeded ? TypedResults.NoContent() : ManagementApi.Refusal(removed.Error!);
    }

    private static async Task<List<TeamJson>> VisibleAsync(HttpContext http, TeamDirectory directory, CancellationToken ct)
    {
        var scope = await directory.VisibleToAsync(ManagementApi.ActorOf(http), ct);
        return [.. (await directory.ListAsync(scope, ct)).Select(n => new TeamJson(n.Team.Id, n.Team.Name, n.Team.ParentTeamId, n.Path, n.MemberCount,
            n.Team.KeepPayloadsDays, n.Team.AllowKeyTransferRequests, n.Team.AllowKeyTransferDecisions))];
    }

    private static async Task<List<MemberJson>> MemberListAsync(TeamDirectory directory, Guid teamId, CancellationToken ct) =>
        [.. (await directory.MembersAsync(teamId, ct)).Select(m => new MemberJson(m.UserId, m.DisplayName, m.Email, m.Role))];

    private static bool TryFlag(JsonObject body, string name, bool current, out bool value)
    {
        value = current;
        if (!body.TryGetPropertyValue(name, out var node)) return true;
        if (node is JsonValue v && v.TryGetValue<bool>(out var b)) { value = b; return true; }
        return false;
    }

    private static ProblemHttpResult NoTeam(Guid id) => ApiProblem.NotFound($"There is no team {id} that you may see.");
}
