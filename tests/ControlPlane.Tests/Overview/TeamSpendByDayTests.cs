using ControlPlane.Features.Overview;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Overview;

/// <summary>
/// The Overview's spend per UTC day and team, read at a fixed moment (<see cref="ClockedDemoApp.Now"/>, 2026-11-15 13:00
/// UTC): every day of the range present, each team its own series, only the teams the reader may see.
/// </summary>
public sealed class TeamSpendByDayTests(TeamSpendByDayTests.SpendApp app) : IClassFixture<TeamSpendByDayTests.SpendApp>
{
    private static readonly DateTime Today = ClockedDemoApp.Now.Date;
    private readonly Guid _alpha = app.Alpha;
    private readonly Guid _beta = app.Beta;

    /// <summary>The demo plus two teams (Beta under Alpha) and a third, with calls at known moments.</summary>
    public sealed class SpendApp : ClockedDemoApp
    {
        public Guid Alpha { get; private set; }
        public Guid Beta { get; private set; }

        protected override async Task SeedAsync()
        {
            Alpha = await TeamAsync("Chart Alpha");
            Beta = await TeamAsync("Chart Beta", Alpha);
            var gamma = await TeamAsync("Chart Gamma");
            await CallAsync(Alpha, Today.AddHours(10), 1.5m);
            await CallAsync(Alpha, Today.AddDays(-3).AddHours(8), 2m);
            await CallAsync(Alpha, Today.AddDays(-3).AddHours(9), 0.000001m);
            await CallAsync(Alpha, Today.AddDays(-29), 4m);               // the first instant of the 30-day range
            await CallAsync(Alpha, Today.AddDays(-29).AddTicks(-1), 8m);  // a tick before it
            await CallAsync(Beta, Today.AddTicks(-1), 0.25m);             // the last instant of yesterday
            await CallAsync(gamma, Today.AddHours(1), 0m);                // a call that cost nothing
        }
    }

    private Task<DailyTeamSpend> ReadAsync(Actor actor, SpendRange range) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<TeamSpendByDay>().ReadAsync(actor, range));

    [Fact]
    public async Task Thirty_days_run_to_today_with_every_day_present_and_zero_where_nothing_was_spent()
    {
        var spend = await ReadAsync(ClockedDemoApp.Admin, SpendRange.Month);

        Assert.Equal(Enumerable.Range(0, 30).Select(d => new DateTime(2026, 10, 17, 0, 0, 0, DateTimeKind.Utc).AddDays(d)), spend.Days);
        var alpha = Assert.Single(spend.Teams, t => t.TeamId == _alpha);
        Assert.Equal("Chart Alpha", alpha.Team);
        Assert.Equal(30, alpha.PerDay.Count);
        var expected = new decimal[30];
        expected[0] = 4m;
        expected[26] = 2.000001m;
        expected[29] = 1.5m;
        Assert.Equal(expected, alpha.PerDay);
        Assert.Equal(7.500001m, alpha.Total);
    }

    [Fact]
    public async Task Seven_days_keep_only_the_last_week()
    {
        var spend = await ReadAsync(ClockedDemoApp.Admin, SpendRange.Week);

        Assert.Equal(7, spend.Days.Count);
        Assert.Equal(new DateTime(2026, 11, 9, 0, 0, 0, DateTimeKind.Utc), spend.Days[0]);
        Assert.Equal(Today, spend.Days[^1]);
        Assert.Equal([0m, 0m, 0m, 2.000001m, 0m, 0m, 1.5m], Assert.Single(spend.Teams, t => t.TeamId == _alpha).PerDay);
        Assert.Equal([0m, 0m, 0m, 0m, 0m, 0.25m, 0m], Assert.Single(spend.Teams, t => t.TeamId == _beta).PerDay);
    }

    [Fact]
    public async Task A_subteam_is_its_own_series_and_a_team_without_spend_has_none()
    {
        var spend = await ReadAsync(ClockedDemoApp.Admin, SpendRange.Month);

        var beta = Assert.Single(spend.Teams, t => t.TeamId == _beta);
        Assert.Equal("Chart Alpha / Chart Beta", beta.Team);
        Assert.Equal(0.25m, beta.PerDay[28]); // yesterday, not today: days are UTC calendar days
        Assert.Equal(0.25m, beta.Total);
        Assert.Equal(7.500001m, Assert.Single(spend.Teams, t => t.TeamId == _alpha).Total); // Beta's spend is not Alpha's too
        Assert.DoesNotContain(spend.Teams, t => t.Team == "Chart Gamma");
        // In the team tree's order: Alpha right before its subteam.
        var names = spend.Teams.Select(t => t.Team).ToList();
        Assert.Equal(names.IndexOf("Chart Alpha") + 1, names.IndexOf("Chart Alpha / Chart Beta"));
    }

    [Fact]
    public async Task An_admin_sees_every_team_that_spent_and_a_member_only_her_own_teams()
    {
        var admin = await ReadAsync(await app.ActorAsync("adam.admin@acme.test"), SpendRange.Month);
        Assert.Equal(
            ["Chart Alpha", "Chart Alpha / Chart Beta", "Engineering / Mobile", "Engineering / Platform", "Engineering / Platform / Search", "Research", "Sales"],
            admin.Teams.Select(t => t.Team).Order(StringComparer.Ordinal));

        // Mia is a member of Platform and Search: her view's tree starts at Platform.
        var mia = await ReadAsync(await app.ActorAsync("mia.member@acme.test"), SpendRange.Month);
        Assert.Equal(["Platform", "Platform / Search"], mia.Teams.Select(t => t.Team));
        Assert.Equal(
            admin.Teams.Where(t => t.Team.StartsWith("Engineering / Platform", StringComparison.Ordinal)).Select(t => t.PerDay),
            mia.Teams.Select(t => t.PerDay));
    }

    [Fact]
    public async Task Someone_without_teams_sees_no_series_but_still_every_day()
    {
        var nobody = new Actor(Guid.NewGuid(), "nobody@acme.test", Roles.Member);

        var spend = await ReadAsync(nobody, SpendRange.Week);

        Assert.Empty(spend.Teams);
        Assert.Equal(7, spend.Days.Count);
    }
}
