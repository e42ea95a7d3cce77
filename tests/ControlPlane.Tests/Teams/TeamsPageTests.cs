using Bunit;
using ControlPlane.Features.Teams;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Teams;

/// <summary>The Teams page: the tree each role sees, creating a team in its dialog, and which actions each role is offered.</summary>
public sealed class TeamsPageTests(DashboardApp app) : TeamsPageContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task The_tree_nests_teams_under_their_parents_with_their_people_counted()
    {
        var page = await OpenAsAsync(DemoOrg.Adam);

        var engineering = page.Find("[data-testid=team-row][data-team=Engineering]").Closest("li")!;
        var underEngineering = engineering.QuerySelectorAll("[data-testid=team-row]").Select(r => r.GetAttribute("data-team")).ToList();
        Assert.Equal(["Engineering", "Mobile", "Platform", "Search"], underEngineering);
        Assert.DoesNotContain("Research", underEngineering);
        Assert.Equal("2", Row(page, "Sales").QuerySelector("[data-testid=team-people]")!.TextContent.Trim());
    }

    [Fact]
    public async Task A_new_team_needs_a_name_said_next_to_the_field()
    {
        var page = await OpenAsAsync(DemoOrg.Adam);
        page.Find("[data-testid=new-team]").Click();

        Press("new-team-dialog", "create-team");

        Dialogs.WaitForAssertion(() => Assert.Contains("A team needs a name.", FieldMessages(), StringComparison.Ordinal));
        Assert.Single(Dialogs.FindAll("[data-testid=new-team-dialog]"));
    }

    [Fact]
    public async Task A_taken_team_name_is_refused_next_to_the_field_and_in_a_snackbar()
    {
        var page = await OpenAsAsync(DemoOrg.Adam);
        var before = await TeamCountAsync();
        page.Find("[data-testid=new-team]").Click();

        Input("team-name").Input("Research");
        Press("new-team-dialog", "create-team");

        Dialogs.WaitForAssertion(() => Assert.Contains("A team named 'Research' already exists.", FieldMessages(), StringComparison.Ordinal));
        AssertSnackbar(Severity.Error, "The team was not created: A team named 'Research' already exists.");
        Assert.Equal(before, await TeamCountAsync());
    }

    [Fact]
    public async Task Creating_a_nested_team_saves_it_under_its_parent_selects_it_and_says_so()
    {
        var name = DemoOrg.Unique("QA");
        var page = await OpenAsAsync(DemoOrg.Adam);
        page.Find("[data-testid=new-team]").Click();
        Input("team-name").Input(name);

        Dialogs.Find("[data-testid=team-parent] .mud-input-control, [data-testid=team-parent]").MouseDown();
        Popovers.WaitForAssertion(() => Assert.Contains(Popovers.FindAll(".mud-list-item"), i => i.TextContent.Trim() == "Engineering / Platform"));
        Popovers.FindAll(".mud-list-item").First(i => i.TextContent.Trim() == "Engineering / Platform").Click();
        Press("new-team-dialog", "create-team");

        AssertNoDialog();
        AssertSnackbar(Severity.Success, $"Team {name} created.");
        page.WaitForAssertion(() => Assert.Equal($"Engineering / Platform / {name}", page.Find("[data-testid=team-title]").TextContent.Trim()));
        var platform = Row(page, "Platform").Closest("li")!;
        Assert.Contains(name, platform.QuerySelectorAll("[data-testid=team-row]").Select(r => r.GetAttribute("data-team")));
        await using var db = App.App.OpenDb();
        var saved = await db.Teams.AsNoTracking().SingleAsync(t => t.Name == name);
        Assert.Equal(await App.App.TeamIdAsync("Platform"), saved.ParentTeamId);
    }

    [Fact]
    public async Task Cancelling_the_new_team_dialog_creates_nothing()
    {
        var page = await OpenAsAsync(DemoOrg.Adam);
        var before = await TeamCountAsync();
        page.Find("[data-testid=new-team]").Click();
        Input("team-name").Input(DemoOrg.Unique("Cancelled"));

        Dialog("new-team-dialog");
        Dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Cancel").Click();

        AssertNoDialog();
        Assert.Equal(before, await TeamCountAsync());
        Assert.Empty(Snackbars);
    }

    [Fact]
    public async Task An_owner_gets_every_action_on_every_team()
    {
        var page = await OpenAsAsync(DemoOrg.Olivia);
        SelectTeam(page, "Sales");

        Assert.Single(page.FindAll("[data-testid=new-team]"));
        Assert.Single(page.FindAll("[data-testid=open-add-member]"));
        Assert.Equal(2, page.FindAll("[data-testid=remove-member]").Count);
        Assert.Single(page.FindAll("[data-testid=new-project]"));
        Assert.Single(page.FindAll("[data-testid=retention-change]"));
    }

    [Fact]
    public async Task A_team_lead_adds_projects_only_in_the_subtree_they_lead_and_changes_nothing_else()
    {
        // Rita leads Research; as a plain member of another team she sees that team but may not act on it.
        var elsewhere = DemoOrg.Unique("Guest");
        var admin = await App.App.ActorAsync(DemoOrg.Adam);
        var rita = await App.App.UserIdAsync(DemoOrg.Rita);
        await App.App.WithScopeAsync(async services =>
        {
            var directory = services.GetRequiredService<TeamDirectory>();
            var team = (await directory.CreateAsync(admin, elsewhere, null)).Value!;
            return await directory.AddMemberAsync(admin, team.Id, rita, TeamRoles.Member);
        });

        var page = await OpenAsAsync(DemoOrg.Rita);
        Assert.Equal([elsewhere, "Research"], TreeNames(page)); // "Guest-…" sorts before "Research"
        Assert.Empty(page.FindAll("[data-testid=new-team]"));

        SelectTeam(page, "Research");
        Assert.Single(page.FindAll("[data-testid=new-project]"));
        AssertNoTeamActions(page);

        SelectTeam(page, elsewhere);
        Assert.Empty(page.FindAll("[data-testid=new-project]"));
        AssertNoTeamActions(page);
    }

    [Fact]
    public async Task A_member_reads_her_teams_without_any_action()
    {
        var page = await OpenAsAsync(DemoOrg.Mia);
        // Platform and its subtree (other tests of this class may add teams under it); nothing outside it.
        var seen = TreeNames(page);
        Assert.Equal("Platform", seen[0]);
        Assert.Contains("Search", seen);
        Assert.Empty(seen.Intersect(["Engineering", "Mobile", "Research", "Sales"]));
        Assert.Empty(page.FindAll("[data-testid=new-team]"));

        foreach (var name in new[] { "Platform", "Search" })
        {
            SelectTeam(page, name);
            Assert.Contains("Mia Member", page.Find("[data-testid=members-grid]").TextContent, StringComparison.Ordinal);
            Assert.Empty(page.FindAll("[data-testid=new-project]"));
            AssertNoTeamActions(page);
        }
    }

    private static void AssertNoTeamActions(IRenderedComponent<TeamsPage> page)
    {
        Assert.Empty(page.FindAll("[data-testid=open-add-member]"));
        Assert.Empty(page.FindAll("[data-testid=remove-member]"));
        Assert.Empty(page.FindAll("[data-testid=retention-change]"));
    }

    private async Task<int> TeamCountAsync()
    {
        await using var db = App.App.OpenDb();
        return await db.Teams.CountAsync();
    }
}
