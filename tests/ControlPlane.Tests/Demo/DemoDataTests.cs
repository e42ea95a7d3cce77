using ControlPlane.Features.Demo;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Overview;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Demo;

/// <summary>The demo looks alive on any date: every team budget has spend in its current period and events to show.</summary>
public sealed class DemoDataTests
{
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    public static TheoryData<string> Moments => new()
    {
        "2026-12-01T00:00:00Z", // the first second of a month (and of a week and a day)
        "2026-12-01T00:05:00Z",
        "2027-03-01T06:30:00Z",
        "2026-11-15T13:00:00Z",
        "2026-11-30T23:59:59Z",
    };

    [Theory]
    [MemberData(nameof(Moments))]
    public async Task Every_team_budget_shows_spend_this_period_whatever_the_date(string moment)
    {
        await using var database = TestDatabase.CreateSqlite();
        var clock = new ManualClock(DateTimeOffset.Parse(moment, System.Globalization.CultureInfo.InvariantCulture));
        await using var factory = new AppFactory(database, seedDemoData: false);
        await using var app = factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<TimeProvider>(clock)));
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<DemoData>().SeedIfEmptyAsync();

        await using var db = app.Services.GetRequiredService<IDbContextFactory<ControlPlaneDb>>().CreateDbContext();
        var teamWallets = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team).ToListAsync();
        Assert.Equal(6, teamWallets.Count);
        Assert.All(teamWallets, w => Assert.True(w.Spent > 0, $"{w.Name} shows no spend this period at {moment}"));
        Assert.True(await db.WalletEvents.AnyAsync(), string.Join("; ", teamWallets.Select(w => $"{w.Name} {w.Spent}/{w.Limit}")));
        Assert.Contains(await db.Calls.Select(c => c.At).ToListAsync(), at => at >= clock.GetUtcNow().UtcDateTime.Date);
    
        // The Overview: rollups sum every demo call, a burst is flagged as an anomaly, and a budget's forecast names a day.
        var calls = await db.Calls.AsNoTracking().Select(c => new { c.Count, c.Cost }).ToListAsync();
        var days = await db.CallRollups.AsNoTracking().Where(r => r.Grain == RollupGrain.Day).Select(r => new { r.Calls, r.Cost }).ToListAsync();
        Assert.Equal(calls.Sum(c => c.Count), days.Sum(r => r.Calls));
        Assert.Equal(calls.Sum(c => c.Cost), days.Sum(r => r.Cost));
        await using var overview = app.Services.CreateAsyncScope();
        var anomalies = await overview.ServiceProvider.GetRequiredService<SpendAnomalies>().ReadAsync(OverviewScope.Everything);
        Assert.True(anomalies.Any(a => a.Subject == $"key {DemoGateway.BurstingKey}"), string.Join("; ", anomalies.Select(a => $"{a.Subject}: {a.Reason}")));
        var outlooks = await overview.ServiceProvider.GetRequiredService<WalletWatch>().ReadAsync(new Actor(null, "test", Roles.FinanceAdmin));
        var said = string.Join("; ", outlooks.Select(o => $"{o.Name} {o.Spent}/{o.Limit}: {o.Forecast}"));
        Assert.True(outlooks.Any(o => o.RunsOutAt is not null && o.Forecast.StartsWith("at this rate runs out", StringComparison.Ordinal)), said);
    }
}
