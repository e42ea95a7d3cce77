using ControlPlane.Features.People;
using ControlPlane.Features.Projects;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Projects;

/// <summary>A team's projects are listed only to people who may see the team: the service checks, not the page.</summary>
public abstract class ProjectVisibilityTests(DatabaseProvider provider) : IAsyncLifetime
{
    private AppFactory _app = default!;
    private Guid _sales;

    public async Task InitializeAsync()
    {
        _app = new AppFactory(await TestDatabase.CreateAsync(provider));
        _sales = await _app.TeamIdAsync("Sales");
        var created = await _app.WithScopeAsync(sp => sp.GetRequiredService<ProjectService>().CreateAsync(Actor.CommandLine, _sales, "pipeline-forecast"));
        Assert.True(created.Succeeded, created.Error);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _app.Database.DisposeAsync();
    }

    private Task<IReadOnlyList<Project>> ListAsync(Actor actor) =>
        _app.WithScopeAsync(sp => sp.GetRequiredService<ProjectService>().ListAsync(actor, _sales));

    [DatabaseFact]
    public async Task Members_of_the_team_and_org_wide_roles_see_its_projects_and_others_see_none()
    {
        Assert.Contains(await ListAsync(await _app.ActorAsync(DemoOrg.Sam)), p => p.Name == "pipeline-forecast"); // member of Sales
        Assert.Contains(await ListAsync(await _app.ActorAsync(DemoOrg.Aria)), p => p.Name == "pipeline-forecast"); // auditor
        Assert.Contains(await ListAsync(await _app.ActorAsync(DemoOrg.Adam)), p => p.Name == "pipeline-forecast"); // admin
        Assert.Empty(await ListAsync(await _app.ActorAsync(DemoOrg.Mia))); // member of Platform and Search only
        Assert.Empty(await ListAsync(await _app.ActorAsync(DemoOrg.Rita))); // lead of Research only
    }

    [DatabaseFact]
    public async Task The_overload_without_an_actor_asks_who_is_signed_in_and_lists_nothing_to_nobody()
    {
        async Task<IReadOnlyList<Project>> AsSignedIn(string? email) => await _app.WithScopeAsync(async sp =>
        {
            if (email is not null)
            {
                await using var db = _app.OpenDb();
                var user = await db.Users.AsNoTracking().SingleAsync(u => u.Email == email);
                ((IHostEnvironmentAuthenticationStateProvider)sp.GetRequiredService<AuthenticationStateProvider>())
                    .SetAuthenticationState(Task.FromResult(new AuthenticationState(PeopleDirectory.PrincipalFor(user, "test"))));
            }
            return await sp.GetRequiredService<ProjectService>().ListAsync(_sales);
        });

        Assert.Contains(await AsSignedIn(DemoOrg.Sam), p => p.Name == "pipeline-forecast");
        Assert.Empty(await AsSignedIn(DemoOrg.Mia));
        Assert.Empty(await AsSignedIn(null));
    }
}

public sealed class ProjectVisibilityTests_on_Sqlite() : ProjectVisibilityTests(DatabaseProvider.Sqlite);

public sealed class ProjectVisibilityTests_on_Postgres() : ProjectVisibilityTests(DatabaseProvider.Postgres);
