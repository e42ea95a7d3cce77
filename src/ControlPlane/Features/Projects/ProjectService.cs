using ControlPlane.Features.Audit;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Projects;

/// <summary>Projects of teams: listed to whoever sees the team, created by whoever manages it (audited).</summary>
public sealed class ProjectService(
    IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, AuditLog audit, TimeProvider clock, AuthenticationStateProvider? signedIn = null)
{
    public const int MaxNameLength = 100;

    /// <summary>The team's projects if <paramref name="actor"/> may see the team; none otherwise (checked here, not by the page).</summary>
    public async Task<IReadOnlyList<Project>> ListAsync(Actor actor, Guid teamId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!(await teams.VisibleToAsync(actor, ct)).Includes(teamId)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Projects.AsNoTracking().Where(p => p.TeamId == teamId).OrderBy(p => p.Name).ToListAsync(ct);
    }

    /// <summary>
    /// The team's projects for the person signed in to this circuit (or request), checked as
    /// <see cref="ListAsync(Actor, Guid, CancellationToken)"/>; outside a signed-in scope, none. Prefer the overload
    /// with the actor.
    /// </summary>
    public async Task<IReadOnlyList<Project>> ListAsync(Guid teamId, CancellationToken ct = default) =>
        await SignedInActorAsync() is { } actor ? await ListAsync(actor, teamId, ct) : [];

    private async Task<Actor?> SignedInActorAsync()
    {
        if (signedIn is null) return null;
        try
        {
            var state = await signedIn.GetAuthenticationStateAsync();
            return state.User.Identity?.IsAuthenticated == true ? Actor.From(state.User) : null;
        }
        catch (InvalidOperationException)
        {
            return null; // a scope that is not a circuit's or a request's: nobody is asking
        }
    }

    public async Task<Outcome<Project>> CreateAsync(Actor actor, Guid teamId, string name, CancellationToken ct = default)
    {
        if (!(await teams.ManagedByAsync(actor, ct)).Includes(teamId)) return Outcome.Fail<Project>("You can add projects only to teams you manage.");
        name = (name ?? "").Trim();
        if (name.Length is 0 or > MaxNameLength) return Outcome.Fail<Project>($"A project needs a name of at most {MaxNameLength} characters.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var team = await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.Id == teamId, ct);
        if (team is null) return Outcome.Fail<Project>("That team no longer exists.");
        if (await db.Projects.AnyAsync(p => p.TeamId == teamId && p.Name == name, ct)) return Outcome.Fail<Project>($"{team.Name} already has a project named '{name}'.");
        var project = new Project { Id = Guid.CreateVersion7(), TeamId = teamId, Name = name, CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Projects.Add(project);
        await audit.SaveAsync(db, actor.Name, "project.created", $"project:{project.Id}", $"'{name}' in {team.Name}", ct);
        return project;
    }
}

public static class ProjectsFeature
{
    public static WebApplicationBuilder AddProjects(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ProjectService>();
        return builder;
    }
}
