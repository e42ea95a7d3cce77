using Bunit;
using ControlPlane.Features.Teams;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Teams;

/// <summary>What the gateway keeps of a team's calls, changed in its dialog on the Teams page.</summary>
public sealed class PayloadRetentionSettingTests(DashboardApp app) : TeamsPageContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task Keeping_payloads_saves_the_days_and_says_so()
    {
        var team = await NewTeamAsync(keepDays: null);
        var page = await OpenAsAsync(DemoOrg.Adam);
        SelectTeam(page, team);
        Assert.Equal("not kept", page.Find("[data-testid=retention-state]").TextContent.Trim());

        page.Find("[data-testid=retention-change]").Click();
        SwitchKeeping(on: true);
        Input("retention-days").Input("30");
        Press("retention-dialog", "retention-save");

        AssertNoDialog();
        AssertSnackbar(Severity.Success, $"{team}: prompts and completions are kept 30 days.");
        page.WaitForAssertion(() => Assert.Equal("kept 30 days", page.Find("[data-testid=retention-state]").TextContent.Trim()));
        Assert.Equal(30, await KeptDaysAsync(team));
    }

    [Fact]
    public async Task Keeping_payloads_needs_a_number_of_days_said_next_to_the_field()
    {
        var team = await NewTeamAsync(keepDays: null);
        var page = await OpenAsAsync(DemoOrg.Adam);
        SelectTeam(page, team);

        page.Find("[data-testid=retention-change]").Click();
        SwitchKeeping(on: true);
        Press("retention-dialog", "retention-save");

        Dialogs.WaitForAssertion(() => Assert.Contains("Say how many days to keep them.", FieldMessages(), StringComparison.Ordinal));
        Assert.Null(await KeptDaysAsync(team));
        Assert.Empty(Snackbars);
    }

    [Fact]
    public async Task Stopping_saves_that_nothing_is_kept_and_says_so()
    {
        var team = await NewTeamAsync(keepDays: 14);
        var page = await OpenAsAsync(DemoOrg.Adam);
        SelectTeam(page, team);
        Assert.Equal("kept 14 days", page.Find("[data-testid=retention-state]").TextContent.Trim());

        page.Find("[data-testid=retention-change]").Click();
        SwitchKeeping(on: false);
        Press("retention-dialog", "retention-save");

        AssertNoDialog();
        AssertSnackbar(Severity.Success, $"{team}: prompts and completions are no longer kept.");
        page.WaitForAssertion(() => Assert.Equal("not kept", page.Find("[data-testid=retention-state]").TextContent.Trim()));
        Assert.Null(await KeptDaysAsync(team));
    }

    private void SwitchKeeping(bool on)
    {
        Input("retention-keep").Change(on);
        Dialogs.WaitForAssertion(() => Assert.Equal(on, Dialogs.FindAll("[data-testid=retention-days]").Count == 1));
    }

    private async Task<string> NewTeamAsync(int? keepDays)
    {
        var name = DemoOrg.Unique("Kept");
        var admin = await App.App.ActorAsync(DemoOrg.Adam);
        await App.App.WithScopeAsync(async services =>
        {
            var directory = services.GetRequiredService<TeamDirectory>();
            var team = (await directory.CreateAsync(admin, name, null)).Value!;
            return await directory.SetPayloadRetentionAsync(admin, team.Id, keepDays);
        });
        return name;
    }

    private async Task<int?> KeptDaysAsync(string team)
    {
        await using var db = App.App.OpenDb();
        return await db.Teams.Where(t => t.Name == team).Select(t => t.KeepPayloadsDays).SingleAsync();
    }
}
