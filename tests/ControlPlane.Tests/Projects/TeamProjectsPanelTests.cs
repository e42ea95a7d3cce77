using Bunit;
using ControlPlane.Features.Projects;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Components;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace ControlPlane.Tests.Projects;

/// <summary>A team's projects: listed to whoever sees the team, added in a dialog by whoever manages it.</summary>
public sealed class TeamProjectsPanelTests(DashboardApp app) : TeamsPageContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task Adding_a_project_saves_it_lists_it_and_says_so()
    {
        var name = DemoOrg.Unique("Checkout");
        var panel = await RenderPanelAsync(DemoOrg.Leo, "Platform", canManage: true);

        panel.Find("[data-testid=new-project]").Click();
        Input("project-name").Input(name);
        Press("new-project-dialog", "add-project");

        AssertNoDialog();
        AssertSnackbar(Severity.Success, $"Project {name} added to Platform.");
        panel.WaitForAssertion(() => Assert.Contains(panel.FindAll("[data-testid=project]"), p => p.TextContent.Trim() == name));
        await using var db = App.App.OpenDb();
        var saved = await db.Projects.AsNoTracking().SingleAsync(p => p.Name == name);
        Assert.Equal(await App.App.TeamIdAsync("Platform"), saved.TeamId);
    }

    [Fact]
    public async Task A_project_needs_a_name_said_next_to_the_field()
    {
        var panel = await RenderPanelAsync(DemoOrg.Adam, "Research", canManage: true);
        var before = await ProjectCountAsync();

        panel.Find("[data-testid=new-project]").Click();
        Press("new-project-dialog", "add-project");

        Dialogs.WaitForAssertion(() => Assert.Contains("A project needs a name.", FieldMessages(), StringComparison.Ordinal));
        Assert.Equal(before, await ProjectCountAsync());
    }

    [Fact]
    public async Task A_taken_project_name_is_refused_next_to_the_field_and_in_a_snackbar()
    {
        var name = DemoOrg.Unique("Billing");
        var panel = await RenderPanelAsync(DemoOrg.Adam, "Sales", canManage: true);
        AddProject(panel, name);
        AssertNoDialog();

        panel.Find("[data-testid=new-project]").Click();
        Input("project-name").Input(name);
        Press("new-project-dialog", "add-project");

        Dialogs.WaitForAssertion(() => Assert.Contains($"Sales already has a project named '{name}'.", FieldMessages(), StringComparison.Ordinal));
        AssertSnackbar(Severity.Error, $"The project was not added: Sales already has a project named '{name}'.");
        await using var db = App.App.OpenDb();
        Assert.Equal(1, await db.Projects.CountAsync(p => p.Name == name));
    }

    [Fact]
    public async Task Someone_who_does_not_manage_the_team_sees_its_projects_without_the_button()
    {
        var name = DemoOrg.Unique("Mapping");
        var admin = await RenderPanelAsync(DemoOrg.Adam, "Search", canManage: true);
        AddProject(admin, name);

        var panel = await RenderPanelAsync(DemoOrg.Mia, "Search", canManage: false);

        Assert.Contains(panel.FindAll("[data-testid=project]"), p => p.TextContent.Trim() == name);
        Assert.Empty(panel.FindAll("[data-testid=new-project]"));
    }

    private async Task<IRenderedComponent<TeamProjectsPanel>> RenderPanelAsync(string email, string team, bool canManage)
    {
        var person = await SignInAsAsync(email);
        var teamId = await App.App.TeamIdAsync(team);
        if (Dialogs is null) RenderProviders();
        return Render<TeamProjectsPanel>(p => p
            .Add(x => x.TeamId, teamId)
            .Add(x => x.TeamName, team)
            .Add(x => x.Actor, new Actor(person.Id, person.DisplayName, person.Role))
            .Add(x => x.CanManage, canManage));
    }

    private void AddProject(IRenderedComponent<TeamProjectsPanel> panel, string name)
    {
        panel.Find("[data-testid=new-project]").Click();
        Input("project-name").Input(name);
        Press("new-project-dialog", "add-project");
        panel.WaitForAssertion(() => Assert.Contains(panel.FindAll("[data-testid=project]"), p => p.TextContent.Trim() == name));
    }

    private async Task<int> ProjectCountAsync()
    {
        await using var db = App.App.OpenDb();
        return await db.Projects.CountAsync();
    }
}
