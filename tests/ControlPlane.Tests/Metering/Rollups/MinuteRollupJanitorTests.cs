using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Overview;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ControlPlane.Tests.Metering.Rollups;

/// <summary>The minute rollups past their days go; hour and day rollups and recent minutes stay; two nodes at once agree.</summary>
public sealed class MinuteRollupJanitorTests(ClockedDemoApp app) : IClassFixture<ClockedDemoApp>
{
    private MinuteRollupJanitor Janitor(int days) =>
        new(app.App.Services.GetRequiredService<IDbContextFactory<ControlPlaneDb>>(), app.App.Services.GetRequiredService<TimeProvider>(),
            Options.Create(new RollupOptions { MinuteDays = days }), NullLogger<MinuteRollupJanitor>.Instance);

    private async Task<Dictionary<string, int>> CountsAsync(DateTime cutoff)
    {
        await using var db = app.OpenDb();
        var rows = await db.CallRollups.AsNoTracking().Select(r => new { r.Grain, r.Bucket }).ToListAsync();
        return rows.GroupBy(r => $"{r.Grain}|{(r.Bucket < cutoff ? "old" : "recent")}").ToDictionary(g => g.Key, g => g.Count());
    }

    [Fact]
    public async Task Minute_rows_older_than_the_kept_days_are_deleted_once_by_two_nodes_at_once_and_nothing_else()
    {
        const int days = 3;
        var cutoff = ClockedDemoApp.Now.AddDays(-days);
        var before = await CountsAsync(cutoff);
        Assert.True(before.GetValueOrDefault($"{RollupGrain.Minute}|old") > 0, "the demo has minute rollups older than the cut-off");
        Assert.True(before.GetValueOrDefault($"{RollupGrain.Minute}|recent") > 0);

        // Two nodes' janitors at the same moment: each row goes once, whichever deletes it.
        var deleted = await Task.WhenAll(Janitor(days).PruneAsync(), Janitor(days).PruneAsync());

        var after = await CountsAsync(cutoff);
        var old = $"{RollupGrain.Minute}|old";
        Assert.Equal(before[old], deleted.Sum());
        Assert.False(after.ContainsKey(old));
        Assert.Equal(before.Where(b => b.Key != old).OrderBy(b => b.Key, StringComparer.Ordinal), after.OrderBy(a => a.Key, StringComparer.Ordinal));
        Assert.Equal(0, await Janitor(days).PruneAsync()); // idempotent: a later pass has nothing left to do
    }
}
