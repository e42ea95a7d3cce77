using ControlPlane.Features.Demo;
using ControlPlane.Features.Overview;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Overview;

/// <summary>
/// Who sees what on the Overview, at a fixed moment (<see cref="ClockedDemoApp.Now"/>): org-wide roles everything, a
/// TeamLead their subtree, a Member the keys of their teams; the same scope for the breakdown, the top keys, the
/// anomalies and the ticker.
/// </summary>
public sealed class OverviewScopeTests(ClockedDemoApp app) : IClassFixture<ClockedDemoApp>
{
    private Task<T> As<T>(string email, Func<IServiceProvider, OverviewScope, Task<T>> read) => app.WithScopeAsync(async sp =>
        await read(sp, await sp.GetRequiredService<OverviewScopes>().ForAsync(await app.ActorAsync(email))));

    private Task<IReadOnlyList<string>> TeamsSeenAsync(string email) => As(email, async (sp, scope) =>
        (IReadOnlyList<string>)[.. (await sp.GetRequiredService<SpendBreakdown>().ReadAsync(scope, OverviewRange.Month, SpendDimension.Team)).Slices.Select(s => s.Name).Order(StringComparer.Ordinal)]);

    [Fact]
    public async Task An_admin_sees_every_team_a_lead_her_subtree_and_a_member_her_teams()
    {
        Assert.Equal(["Engineering / Mobile", "Engineering / Platform", "Engineering / Platform / Search", "Research", "Sales"], await TeamsSeenAsync("adam.admin@acme.test"));
        Assert.Equal(["Engineering / Mobile", "Engineering / Platform", "Engineering / Platform / Search", "Research", "Sales"], await TeamsSeenAsync("aria.auditor@acme.test"));
        Assert.Equal(["Engineering / Mobile", "Engineering / Platform", "Engineering / Platform / Search"], await TeamsSeenAsync("leo.lead@acme.test"));
        Assert.Equal(["Engineering / Platform", "Engineering / Platform / Search"], await TeamsSeenAsync("mia.member@acme.test"));
        Assert.Equal(["Research"], await TeamsSeenAsync("rita.research@acme.test"));
    }

    /// <summary>The demo keys of Platform and Search, Mia's teams.</summary>
    private static readonly string[] MiasKeys = ["platform-prod", "platform-ci", "search-indexer"];

    [Fact]
    public async Task A_member_is_scoped_to_her_teams_keys()
    {
        var scope = await As("mia.member@acme.test", (_, s) => Task.FromResult(s));
        Assert.NotNull(scope.Keys);
        var keys = await As("mia.member@acme.test", (sp, s) => sp.GetRequiredService<TopSpenders>().ReadAsync(s, OverviewRange.Week));
        Assert.NotEmpty(keys.Keys);
        Assert.All(keys.Keys, k => Assert.Contains(k.Name, MiasKeys));
        Assert.False(scope.Includes(null, null));
        Assert.False(scope.Includes(Guid.NewGuid(), Guid.NewGuid()));
    }

    [Fact]
    public async Task The_burst_is_an_anomaly_for_those_who_see_research_only()
    {
        static bool HasBurst(IReadOnlyList<SpendAnomaly> found) => found.Any(a => a.Subject == $"key {DemoGateway.BurstingKey}");
        Assert.True(HasBurst(await As("fiona.finance@acme.test", (sp, s) => sp.GetRequiredService<SpendAnomalies>().ReadAsync(s))));
        var rita = await As("rita.research@acme.test", (sp, s) => sp.GetRequiredService<SpendAnomalies>().ReadAsync(s));
        Assert.True(HasBurst(rita));
        Assert.Contains(rita, a => a.Subject == "team Research" && a.Hour == ClockedDemoApp.Now.AddHours(-2));
        Assert.False(HasBurst(await As("leo.lead@acme.test", (sp, s) => sp.GetRequiredService<SpendAnomalies>().ReadAsync(s))));
        Assert.False(HasBurst(await As("mia.member@acme.test", (sp, s) => sp.GetRequiredService<SpendAnomalies>().ReadAsync(s))));
    }

    [Fact]
    public async Task The_ticker_totals_follow_the_scope()
    {
        var all = await As("adam.admin@acme.test", (sp, s) => sp.GetRequiredService<LiveTotalsReader>().ReadAsync(s));
        var lead = await As("leo.lead@acme.test", (sp, s) => sp.GetRequiredService<LiveTotalsReader>().ReadAsync(s));
        var rita = await As("rita.research@acme.test", (sp, s) => sp.GetRequiredService<LiveTotalsReader>().ReadAsync(s));
        Assert.True(all.SpendToday > 0);
        Assert.True(lead.SpendToday < all.SpendToday);
        Assert.True(rita.SpendToday > 0);
        Assert.True(lead.CallsToday + rita.CallsToday <= all.CallsToday);
        Assert.Equal(ClockedDemoApp.Now, all.At);
    }
}
