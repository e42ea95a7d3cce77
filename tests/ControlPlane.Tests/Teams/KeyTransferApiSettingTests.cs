using AngleSharp.Dom;
using ControlPlane.Tests.Components;
using Bunit;
using ControlPlane.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Teams;

/// <summary>What a team's keys may do with transfers over the API, switched on the Teams page by an Owner or Admin.</summary>
public sealed class KeyTransferApiSettingTests(DashboardApp app) : TeamsPageContext(app), IClassFixture<DashboardApp>
{
    private static IElement Switch(IRenderedComponent<ControlPlane.Features.Teams.TeamsPage> page, string testId)
    {
        var field = page.Find($"[data-testid={testId}]");
        return field.TagName == "INPUT" ? field : field.QuerySelector("input")!;
    }

    [Fact]
    public async Task An_admin_lets_the_teams_keys_request_transfers_and_it_is_saved()
    {
        var team = await NewTeamAsync();
        var page = await OpenAsAsync(DemoOrg.Adam);
        SelectTeam(page, team);

        Switch(page, "key-transfer-requests").Change(true);

        AssertSnackbar(Severity.Success, $"{team}: keys may request transfers and may not decide them.");
        await using var db = App.App.OpenDb();
        var saved = await db.Teams.AsNoTracking().SingleAsync(t => t.Name == team);
        Assert.True(saved.AllowKeyTransferRequests);
        Assert.False(saved.AllowKeyTransferDecisions);
    }

    [Fact]
    public async Task An_auditor_sees_the_settings_but_cannot_change_them()
    {
        var team = await NewTeamAsync();
        var page = await OpenAsAsync(DemoOrg.Aria);
        SelectTeam(page, team);

        Assert.True(Switch(page, "key-transfer-requests").HasAttribute("disabled"));
        Assert.True(Switch(page, "key-transfer-decisions").HasAttribute("disabled"));
    }

    private async Task<string> NewTeamAsync()
    {
        var name = DemoOrg.Unique("KeyApi");
        var admin = await App.App.ActorAsync(DemoOrg.Adam);
        await App.App.WithScopeAsync(async services => (await services.GetRequiredService<TeamDirectory>().CreateAsync(admin, name, null)).Succeeded);
        return name;
    }
}
