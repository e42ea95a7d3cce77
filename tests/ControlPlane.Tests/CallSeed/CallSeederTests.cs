using ControlPlane.Features.CallSeed;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Cli;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.CallSeed;

/// <summary><c>seed --calls N</c> on a real database: exactly N rows, with the weekly and daily rhythm, errors, streaming and real costs.</summary>
public abstract class CallSeederTests<TApp>(TApp fixture) where TApp : AppFixture
{
    [Fact]
    public async Task Seed_writes_exactly_N_calls_with_a_weekly_and_daily_rhythm_errors_streaming_and_costs()
    {
        var app = fixture.App;
        await using var db = app.OpenDb();
        var before = await db.Calls.Select(c => c.Id).ToListAsync();
        var known = before.ToHashSet();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await CommandLine.RunAsync(app.Services, ["seed", "--calls", "20000", "--days", "28"], stdout, stderr);

        Assert.Equal(0, exit);
        Assert.Contains("Seeded 20,000 calls", stdout.ToString(), StringComparison.Ordinal);
        var seeded = (await db.Calls.AsNoTracking().ToListAsync()).Where(c => !known.Contains(c.Id)).ToList();
        Assert.Equal(20_000, seeded.Count);
        Assert.All(seeded, c => Assert.True(c.At <= DateTime.UtcNow && c.At >= DateTime.UtcNow.AddDays(-28).AddHours(-1)));

        // Weekdays in business hours are busier per hour than weekend nights, by the rhythm's weights.
        static bool Weekend(DateTime at) => at.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
        var busy = seeded.Count(c => !Weekend(c.At) && c.At.Hour is >= 9 and < 17) / (20.0 * 8);
        var quiet = seeded.Count(c => Weekend(c.At) && c.At.Hour < 6) / (8.0 * 6);
        Assert.True(busy > 5 * quiet, $"{busy:N1} calls an hour on weekday afternoons, {quiet:N1} on weekend nights");

        var failed = seeded.Count(c => c.ErrorClass is not null);
        Assert.InRange(failed, 20_000 * 0.01, 20_000 * 0.06);
        Assert.True(seeded.Select(c => c.ErrorClass).Distinct().Count() >= 5);
        Assert.InRange(seeded.Count(c => c.Streamed), 20_000 * 0.6, 20_000 * 0.8);
        Assert.Contains(seeded, c => c.UsageSource == UsageSource.Estimated);
        Assert.True(seeded.Select(c => c.KeyId).Distinct().Count() > 1);
        Assert.True(seeded.Select(c => c.ModelRequested).Distinct().Count() > 1);
        Assert.All(seeded.Where(c => c.ErrorClass is null), c => Assert.True(c.Cost > 0m && (c.TimeToFirstTokenMs is null) != c.Streamed));

        // The Requests page reads them like any other call.
        var admin = await app.ActorAsync(DemoOrg.Adam);
        var page = await app.WithScopeAsync(sp => sp.GetRequiredService<CallQueries>().PageAsync(admin, new CallFilter { From = DateTime.UtcNow.AddDays(-28) }, take: 50));
        Assert.Equal(50, page.Rows.Count);
    }

    [Fact]
    public async Task Seed_without_a_count_is_wrong_usage()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(fixture.App.Services, ["seed"], stdout, stderr));
        Assert.Equal(2, await CommandLine.RunAsync(fixture.App.Services, ["seed", "--calls", "-5"], stdout, stderr));
        Assert.Contains("seed --calls <N>", stderr.ToString(), StringComparison.Ordinal);
    }
}

public sealed class CallSeederTests_on_Sqlite(SqliteApp f) : CallSeederTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class CallSeederTests_on_Postgres : CallSeederTests<PostgresApp>, IClassFixture<PostgresApp>
{
    private readonly PostgresApp f;

    public CallSeederTests_on_Postgres(PostgresApp fixture) : base(fixture) => f = fixture;

    private async Task<List<string>> IndexesOfCallsAsync()
    {
        await using var db = f.App.OpenDb();
        return await db.Database.SqlQueryRaw<string>("SELECT indexdef AS \"Value\" FROM pg_indexes WHERE tablename = 'calls' ORDER BY indexdef").ToListAsync();
    }

    [Fact]
    public async Task A_bulk_seed_writes_every_row_and_builds_the_indexes_of_calls_again()
    {
        var indexes = await IndexesOfCallsAsync();
        await using var db = f.App.OpenDb();
        var before = await db.Calls.CountAsync();

        var result = await f.App.WithScopeAsync(sp => sp.GetRequiredService<CallSeeder>().SeedAsync(3_000, 7, bulkFrom: 1));

        Assert.Equal(3_000, result.Calls);
        Assert.Equal(before + 3_000, await db.Calls.CountAsync());
        Assert.True(indexes.Count >= 9, string.Join("; ", indexes));
        Assert.Equal(indexes, await IndexesOfCallsAsync());
    }
}

public sealed class SeedHistoryTests
{
    [Fact]
    public void The_hourly_spread_sums_to_the_total_and_follows_the_weights()
    {
        var from = new DateTime(2026, 11, 2, 0, 0, 0, DateTimeKind.Utc); // a Monday
        var spread = SeedHistory.Spread(100_000, from, from.AddDays(14));

        Assert.Equal(100_000, spread.Sum(h => (long)h.Calls));
        Assert.Equal(14 * 24, spread.Count);
        var mondayNoon = spread.Single(h => h.Hour == from.AddHours(12)).Calls;
        var saturdayThree = spread.Single(h => h.Hour == from.AddDays(5).AddHours(3)).Calls;
        Assert.InRange(mondayNoon / (double)saturdayThree, 15, 25); // 1.0 / (0.33 × 0.15) ≈ 20
    }
}
