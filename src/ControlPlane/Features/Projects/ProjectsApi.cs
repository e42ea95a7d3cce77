using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Projects;

/// <summary>A team's projects over <c>/api/v1</c>: listed to whoever sees the team, created by whoever manages it (<see cref="ProjectService"/>).</summary>
public static class ProjectsApi
{
    public sealed record ProjectJson(Guid Id, Guid TeamId, string Name, DateTime CreatedAt);

    public sealed record NewProject(string? Name);

    public static RouteGroupBuilder MapProjectsApi(this RouteGroupBuilder api)
    {
        var projects = api.MapGroup("").WithTags("Projects");
        projects.MapGet("/teams/{teamId:guid}/projects", ListAsync).RequireAuthorization(Policies.TeamsView)
            .WithSummary("List a team's projects").Produces<Page<ProjectJson>>();
        projects.MapGet("/projects/{id:guid}", GetAsync).RequireAuthorization(Policies.TeamsView)
            .WithSummary("Read one project (with its ETag)").Produces<ProjectJson>();
        projects.MapPost("/teams/{teamId:guid}/projects", CreateAsync).RequireAuthorization(Policies.TeamsView).Idempotent()
            .WithSummary("Create a project in a team the caller manages").Accepts<NewProject>("application/json").Produces<ProjectJson>(StatusCodes.Status201Created);
        return api;
    }

    private static async Task<IResult> ListAsync(Guid teamId, HttpContext http, TeamDirectory teams, ProjectService projects, CancellationToken ct)
    {
        var actor = ManagementApi.ActorOf(http);
        if (!(await teams.VisibleToAsync(actor, ct)).Includes(teamId)) return ApiProblem.NotFound($"There is no team {teamId} that you may see.");
        return ApiPaging.Of(http.Request, (await projects.ListAsync(actor, teamId, ct)).Select(Json), p => p.Id);
    }

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, IDbContextFactory<ControlPlaneDb> dbFactory, ProjectService projects, CancellationToken ct)
    {
        Guid? teamId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            teamId = await db.Projects.AsNoTracking().Where(p => p.Id == id).Select(p => (Guid?)p.TeamId).FirstOrDefaultAsync(ct);
        // The service decides who sees it: a project of a team the caller may not see is as good as absent.
        var project = teamId is { } team ? (await projects.ListAsync(ManagementApi.ActorOf(http), team, ct)).FirstOrDefault(p => p.Id == id) : null;
        return project is null ? ApiProblem.NotFound($"There is no project {id} that you may see.") : ApiETag.Ok(http, Json(project));
    }

    private static async Task<IResult> CreateAsync(Guid teamId, HttpContext http, TeamDirectory teams, ProjectService projects, CancellationToken ct)
    {
        var (body, bad) = await ApiJson.ReadAsync<NewProject>(http.Request, ct);
        if (bad is not null) return bad;
        if (string.IsNullOrWhiteSpace(body!.Name) || body.Name.Trim().Length > ProjectService.MaxNameLength)
            return ApiProblem.Invalid("name", $"A project needs a name of at most {ProjectService.MaxNameLength} characters.");
        var actor = ManagementApi.ActorOf(http);
        if (!(await teams.VisibleToAsync(actor, ct)).Includes(teamId)) return ApiProblem.NotFound($"There is no team {teamId} that you may see.");
        var made = await projects.CreateAsync(actor, teamId, body.Name, ct);
        if (!made.Succeeded) return ManagementApi.Refusal(made.Error!, StatusCodes.Status409Conflict);
        return TypedResults.Created($"{ManagementApi.Prefix}/projects/{made.Value!.Id}", Json(made.Value));
    }

    private static ProjectJson Json(Project p) => new(p.Id, p.TeamId, p.Name, p.CreatedAt);
}
