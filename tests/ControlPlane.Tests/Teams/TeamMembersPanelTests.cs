using Bunit;
using ControlPlane.Features.Teams;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Teams;

/// <summary>A team's members on the Teams page: adding one in its dialog, removing one after a confirmation.</summary>
public sealed class TeamMembersPanelTests(DashboardApp app) : TeamsPageContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task Adding_a_member_needs_a_person_said_next_to_the_field()
    {
        var team = await NewTeamAsync();
        var page = await OpenAsAsync(DemoOrg.Adam);
        SelectTeam(page, team);
        page.Find("[data-testid=open-add-member]").Click();

        Press("add-member-dialog", "add-member");

        Dialogs.WaitForAssertion(() => Assert.Contains("Pick a person.", FieldMessages(), StringComparison.Ordinal));
        Assert.Empty(await MembersAsync(team));
    }

    [Fact]
    public async Task Adding_a_member_saves_them_with_their_role_and_says_so()
    {
        var team = await NewTeamAsync();
        var page = await OpenAsAsync(DemoOrg.Adam);
        SelectTeam(page, team);
        page.Find("[data-testid=open-add-member]").Click();

        Input("member-person").Input("sam");
        Popovers.WaitForAssertion(() => Assert.Single(Popovers.FindAll(".mud-list-item"), i => i.TextContent.Contains("Sam Sales (sam.sales@acme.test)", StringComparison.Ordinal)));
        Popovers.FindAll(".mud-list-item").Single(i => i.TextContent.Contains("Sam Sales", StringComparison.Ordinal)).Click();
        Dialogs.Find("[data-testid=member-role] .mud-input-control, [data-testid=member-role]").MouseDown();
        Popovers.WaitForAssertion(() => Assert.Contains(Popovers.FindAll(".mud-list-item"), i => i.TextContent.Trim() == TeamRoles.Lead));
        Popovers.FindAll(".mud-list-item").First(i => i.TextContent.Trim() == TeamRoles.Lead).Click();
        Press("add-member-dialog", "add-member");

        AssertNoDialog();
        AssertSnackbar(Severity.Success, $"Sam Sales joined {team}.");
        page.WaitForAssertion(() => Assert.Contains("Sam Sales", page.Find("[data-testid=members-grid]").TextContent, StringComparison.Ordinal));
        Assert.Equal("1", Row(page, team).QuerySelector("[data-testid=team-people]")!.TextContent.Trim());
        Assert.Equal([("sam.sales@acme.test", TeamRoles.Lead)], await MembersAsync(team));
    }

    [Fact]
    public async Task Removing_a_member_asks_first_and_keeping_them_changes_nothing()
    {
        var team = await NewTeamAsync(DemoOrg.Mia);
        var page = await OpenAsAsync(DemoOrg.Adam);
        SelectTeam(page, team);

        page.Find("[data-testid=remove-member]").Click();
        Dialog("remove-member-dialog");
        Assert.Contains($"Remove Mia Member (mia.member@acme.test) from {team}?", Dialogs.Find(".mud-dialog").TextContent, StringComparison.Ordinal);
        Press("remove-member-dialog", "keep-member");

        AssertNoDialog();
        Assert.Single(await MembersAsync(team));
        Assert.Empty(Snackbars);
    }

    [Fact]
    public async Task Removing_a_member_after_confirming_deletes_the_membership_and_says_so()
    {
        var team = await NewTeamAsync(DemoOrg.Mia);
        var page = await OpenAsAsync(DemoOrg.Adam);
        SelectTeam(page, team);

        page.Find("[data-testid=remove-member]").Click();
        Press("remove-member-dialog", "confirm-remove");

        AssertNoDialog();
        AssertSnackbar(Severity.Success, $"Mia Member was removed from {team}.");
        page.WaitForAssertion(() => Assert.Contains("Nobody is in this team yet.", page.Find("[data-testid=members-grid]").TextContent, StringComparison.Ordinal));
        Assert.Empty(await MembersAsync(team));
    }

    [Fact]
    public async Task Removing_someone_who_already_left_says_what_went_wrong()
    {
        var team = await NewTeamAsync(DemoOrg.Mia);
        var page = await OpenAsAsync(DemoOrg.Adam);
        SelectTeam(page, team);
        // Someone else removes her meanwhile (another admin, the CLI).
        await using (var db = App.App.OpenDb())
            await db.TeamMemberships.Where(m => m.TeamId == db.Teams.Single(t => t.Name == team).Id).ExecuteDeleteAsync();

        page.Find("[data-testid=remove-member]").Click();
        Press("remove-member-dialog", "confirm-remove");

        AssertSnackbar(Severity.Error, "Mia Member was not removed: That person is no longer in the team.");
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=remove-member]")));
    }

    /// <summary>A team of its own for the test (tests share one database), with these people as members.</summary>
    private async Task<string> NewTeamAsync(params string[] members)
    {
        var name = DemoOrg.Unique("Crew");
        var admin = await App.App.ActorAsync(DemoOrg.Adam);
        var ids = new List<Guid>();
        foreach (var email in members) ids.Add(await App.App.UserIdAsync(email));
        await App.App.WithScopeAsync(async services =>
        {
            var directory = services.GetRequiredService<TeamDirectory>();
            var team = (await directory.CreateAsync(admin, name, null)).Value!;
            foreach (var id in ids) await directory.AddMemberAsync(admin, team.Id, id, TeamRoles.Member);
            return team;
        });
        return name;
    }

    private async Task<List<(string Email, string Role)>> MembersAsync(string team)
    {
        await using var db = App.App.OpenDb();
        var rows = await (from m in db.TeamMemberships
                          join t in db.Teams on m.TeamId equals t.Id
                          join u in db.Users on m.UserId equals u.Id
                          where t.Name == team
                          select new { u.Email, m.Role }).ToListAsync();
        return [.. rows.Select(r => (r.Email, r.Role))];
    }
}
