using ControlPlane.Features.CallStats;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.CallStats;

/// <summary>
/// Per-call stats against calls of known values: 100 successful calls of a probe model with latencies 10..1000 ms, so the
/// percentiles are known in closed form (percentile_cont on PostgreSQL, sorted reads on SQLite must agree).
/// </summary>
public abstract class CallStatsTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;
    private const string Model = "stats-probe-model";

    /// <summary>percentile_cont over 1..100 scaled: rank = p·99, interpolated.</summary>
    private static double Expected(double fraction, double scale) => (1 + fraction * 99) * scale;

    private async Task<(DateTime From, DateTime To)> AddProbeCallsAsync(string provider, Guid teamId)
    {
        var at = DateTime.UtcNow.AddHours(-1);
        await using var db = App.OpenDb();
        // Shuffled, so the database's sorting is what orders them.
        foreach (var i in Enumerable.Range(1, 100).OrderBy(i => (i * 37) % 101))
            db.Calls.Add(new CallRecord
            {
                Id = Guid.NewGuid(), At = at.AddSeconds(i), Endpoint = "chat", ModelRequested = Model, ModelServed = Model, ProviderName = provider, TeamId = teamId,
                Status = 200, LatencyMs = i * 10, TimeToFirstTokenMs = i, OutputTokensPerSecond = i * 0.5, InputTokens = 600, OutputTokens = 400, Cost = 0.002m,
                UsageSource = i <= 10 ? UsageSource.Estimated : UsageSource.Provider, Streamed = true,
            });
        // Failures: counted in the error rate, never in the speed percentiles.
        foreach (var (cls, n) in new[] { ("upstream_timeout", 15), ("upstream_error", 5) })
            for (var i = 0; i < n; i++)
                db.Calls.Add(new CallRecord
                {
                    Id = Guid.NewGuid(), At = at.AddSeconds(200 + i), Endpoint = "chat", ModelRequested = Model, ModelServed = Model, ProviderName = provider, TeamId = teamId,
                    Status = 504, ErrorClass = cls, LatencyMs = 60_000, UsageSource = UsageSource.None,
                });
        await db.SaveChangesAsync();
        return (at.AddMinutes(-1), at.AddMinutes(10));
    }

    [Fact]
    public async Task Percentiles_error_rates_cost_per_1K_tokens_and_estimated_share_match_known_data()
    {
        var provider = $"probe-{Guid.NewGuid():N}"[..20];
        var (from, to) = await AddProbeCallsAsync(provider, await App.TeamIdAsync("Search"));
        var admin = await App.ActorAsync(DemoOrg.Adam);

        var report = await App.WithScopeAsync(sp => sp.GetRequiredService<CallStatsQueries>().ReadAsync(admin, new StatsRange(from, to)));

        var line = Assert.Single(report.Models, m => m.Provider == provider);
        Assert.Equal(120, line.Calls);
        Assert.Equal(20, line.Errors);
        Assert.Equal(20.0 / 120, line.ErrorRate, 9);
        Assert.Equal(15, line.ErrorsByClass["upstream_timeout"]);
        Assert.Equal(5, line.ErrorsByClass["upstream_error"]);
        foreach (var (fraction, actual) in new[] { (0.5, line.LatencyMs.P50), (0.95, line.LatencyMs.P95), (0.99, line.LatencyMs.P99) })
            Assert.Equal(Expected(fraction, 10), actual!.Value, 6);
        Assert.Equal(Expected(0.5, 1), line.TimeToFirstTokenMs.P50!.Value, 6);
        Assert.Equal(Expected(0.95, 1), line.TimeToFirstTokenMs.P95!.Value, 6);
        Assert.Equal(Expected(0.99, 0.5), line.OutputTokensPerSecond.P99!.Value, 6);
        // $0.20 over 100 × 1,000 tokens: $0.002 per 1K.
        Assert.Equal(0.002m, line.CostPer1KTokens);
        Assert.Equal(10.0 / 120, line.EstimatedShare, 9);
        Assert.Equal(15, report.ErrorsByClass["upstream_timeout"]);
    }

    [Fact]
    public async Task A_member_sees_stats_of_her_teams_calls_only()
    {
        var provider = $"probe-{Guid.NewGuid():N}"[..20];
        var (from, to) = await AddProbeCallsAsync(provider, await App.TeamIdAsync("Sales"));
        var mia = await App.ActorAsync(DemoOrg.Mia);
        var sam = await App.ActorAsync(DemoOrg.Sam);

        var hers = await App.WithScopeAsync(sp => sp.GetRequiredService<CallStatsQueries>().ReadAsync(mia, new StatsRange(from, to)));
        var his = await App.WithScopeAsync(sp => sp.GetRequiredService<CallStatsQueries>().ReadAsync(sam, new StatsRange(from, to)));

        Assert.DoesNotContain(hers.Models, m => m.Provider == provider);
        Assert.Equal(120, Assert.Single(his.Models, m => m.Provider == provider).Calls);
    }

    [Fact]
    public async Task Pooled_numbers_for_health_count_every_call_and_measure_the_successful_ones()
    {
        var provider = $"probe-{Guid.NewGuid():N}"[..20];
        var (from, to) = await AddProbeCallsAsync(provider, await App.TeamIdAsync("Search"));
        await using var db = App.OpenDb();
        var inWindow = db.Calls.Where(c => c.At >= from && c.At < to).ToList();

        var pooled = await App.WithScopeAsync(sp => sp.GetRequiredService<CallStatsQueries>().PooledAsync(from, to));

        Assert.Equal(inWindow.Sum(c => (long)c.Count), pooled.Calls);
        Assert.Equal(inWindow.Where(c => c.ErrorClass != null).Sum(c => (long)c.Count), pooled.Errors);
        var latencies = inWindow.Where(c => c.ErrorClass == null && c.ModelServed != null).Select(c => (double)c.LatencyMs).Order().ToList();
        Assert.Equal(Percentiles.Cont(latencies, 0.95), pooled.LatencyMs.P95!.Value, 6);
    }
}

public sealed class CallStatsTests_on_Sqlite(SqliteApp f) : CallStatsTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class CallStatsTests_on_Postgres(PostgresApp f) : CallStatsTests<PostgresApp>(f), IClassFixture<PostgresApp>;

public sealed class PercentilesTests
{
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.5, 2.5)]
    [InlineData(0.95, 3.85)]
    [InlineData(1.0, 4.0)]
    public void Continuous_percentiles_interpolate_between_the_nearest_ranks_like_percentile_cont(double fraction, double expected) =>
        Assert.Equal(expected, Percentiles.Cont([1, 2, 3, 4], fraction), 9);

    [Fact]
    public void One_value_is_every_percentile_and_none_gives_no_spread()
    {
        Assert.Equal(new Spread(7, 7, 7), Spread.OfSorted([7]));
        Assert.Equal(Spread.None, Spread.OfSorted([]));
    }
}
