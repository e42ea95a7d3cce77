using Bunit;
using ControlPlane.Components.Charts;
using ControlPlane.Features.Overview;
using ControlPlane.Tests.Components;

namespace ControlPlane.Tests.Overview;

/// <summary>
/// The Overview over the demo data: its numbers and expiring keys as before, and the spend chart with one series per
/// team the reader may see, switched between 7 and 30 days in place.
/// </summary>
public sealed class OverviewPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    private static readonly string[] DemoSpendingTeams =
        ["Engineering / Mobile", "Engineering / Platform", "Engineering / Platform / Search", "Research", "Sales"];

    private BunitJSModuleInterop ChartModule() => JSInterop.SetupModule("http://localhost/" + ApexChart.ModulePath);

    /// <summary>The team spend chart (the page has other charts too).</summary>
    private static IRenderedComponent<ApexChart> TeamChart(IRenderedComponent<OverviewPage> page) =>
        page.FindComponent<TeamSpendChart>().FindComponent<ApexChart>();

    private static IReadOnlyList<ChartSeries> SeriesOf(IRenderedComponent<OverviewPage> page)
    {
        IReadOnlyList<ChartSeries> series = [];
        page.WaitForAssertion(() => Assert.NotEmpty(series = TeamChart(page).Instance.Series));
        return series;
    }

    [Fact]
    public async Task An_admin_sees_the_numbers_the_expiring_key_and_a_series_for_every_team_that_spent()
    {
        await SignInAsAsync("adam.admin@acme.test");

        var page = Render<OverviewPage>();

        var series = SeriesOf(page);
        Assert.Equal(DemoSpendingTeams, series.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.All(series, s => Assert.Equal(30, s.Points.Count));
        Assert.All(series, s => Assert.True(s.Points.Sum(p => p.Value) > 0, $"{s.Name} spent nothing"));
        Assert.Equal(["6", "8", "6", "1"], page.FindAll("[data-testid=stat-value]").Select(e => e.TextContent.Trim()));
        Assert.Contains("platform-ci", page.Find("[data-testid=expiring-soon]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Last 30 days", page.Find("[data-testid=team-spend-total]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_sees_only_her_own_teams_in_the_chart()
    {
        await SignInAsAsync("mia.member@acme.test");

        var page = Render<OverviewPage>();

        Assert.Equal(["Platform", "Platform / Search"], SeriesOf(page).Select(s => s.Name));
        Assert.Equal("2", page.FindAll("[data-testid=stat-value]")[0].TextContent.Trim());
    }

    [Fact]
    public async Task Switching_to_seven_days_updates_the_chart_in_place()
    {
        var module = ChartModule();
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<OverviewPage>();
        var before = SeriesOf(page);
        page.WaitForAssertion(() => module.VerifyInvoke("create", calledTimes: 2)); // the breakdown and the team chart

        page.Find("[data-testid=team-spend-range]").QuerySelectorAll("*").First(e => e.TextContent.Trim() == "7 days" && e.GetAttribute("blazor:onclick") is not null).Click();

        page.WaitForAssertion(() => Assert.All(TeamChart(page).Instance.Series, s => Assert.Equal(7, s.Points.Count)));
        Assert.Contains("Last 7 days", page.Find("[data-testid=team-spend-total]").TextContent, StringComparison.Ordinal);
        page.WaitForAssertion(() => module.VerifyInvoke("updateSeries", calledTimes: 1));
        module.VerifyInvoke("create", calledTimes: 2);
        // The last seven days of the month's view are the week's view.
        var week = TeamChart(page).Instance.Series;
        Assert.Equal(before.Select(s => s.Points.TakeLast(7)), week.Where(s => before.Any(b => b.Name == s.Name)).Select(s => s.Points));
    }
}
