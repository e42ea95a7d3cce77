using ControlPlane.Features.Metering;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Tests.Overview;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// The Requests page's totals strip (<see cref="CallTotalsQuery"/>) over the demo's week of calls with a stopped clock:
/// from the rollups plus the raw ends of the range, or from the raw log; always the sums of the matching rows, or, when
/// cut short, exactly the sums of the matching rows since the instant it says.
/// </summary>
public sealed class CallTotalsTests(ClockedDemoApp app) : IClassFixture<ClockedDemoApp>
{
    private static readonly DateTime Now = ClockedDemoApp.Now;

    /// <summary>A clock for the budget: time stands still (frozen) or jumps <paramref name="step"/> at every reading.</summary>
    private sealed class BudgetClock(TimeSpan step) : TimeProvider
    {
        private long _ticks;
        public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);
    }

    private async Task<CallTotals> TotalsAsync(CallFilter filter, TimeProvider? clock = null, long rawAtOnce = CallTotalsQuery.RawAtOnce)
    {
        await using var db = app.OpenDb();
        var raw = CallFilterSql.Apply(db.Calls.AsNoTracking(), filter);
        var teamIds = filter.TeamId is { } team ? new List<Guid> { team } : null; // the demo's teams have no subteams here
        if (teamIds is not null) raw = raw.Where(c => c.TeamId != null && teamIds.Contains(c.TeamId.Value));
        return await CallTotalsQuery.RunAsync(db, raw, teamIds, filter, clock ?? new BudgetClock(TimeSpan.Zero), CancellationToken.None, rawAtOnce);
    }

    private async Task<List<CallRecord>> RowsAsync()
    {
        await using var db = app.OpenDb();
        return await db.Calls.AsNoTracking().ToListAsync();
    }

    private static CallTotals SumsOf(IEnumerable<CallRecord> rows)
    {
        var list = rows.ToList();
        return new CallTotals(list.Sum(c => c.Count), list.Where(c => c.ErrorClass != null).Sum(c => c.Count), list.Sum(c => c.InputTokens),
            list.Sum(c => c.CachedInputTokens), list.Sum(c => c.OutputTokens), list.Sum(c => c.Cost), list.Count(c => c.Unpriced));
    }

    private static bool In(CallRecord c, DateTime? from, DateTime? to) => (from is null || c.At >= from) && (to is null || c.At < to);

    [Fact]
    public async Task Rollup_answered_filters_give_the_sums_of_the_matching_rows()
    {
        var rows = await RowsAsync();
        var team = rows.GroupBy(r => r.TeamId).Where(g => g.Key != null).OrderByDescending(g => g.Count()).First().Key!.Value;
        var key = rows.GroupBy(r => r.KeyId).Where(g => g.Key != null).OrderByDescending(g => g.Count()).First().Key!.Value;
        var provider = rows.GroupBy(r => r.ProviderName).Where(g => g.Key != null).OrderByDescending(g => g.Count()).First().Key!;
        var caller = rows.Where(r => r.Caller is { Length: > 3 }).Select(r => r.Caller!).First();
        var (oddFrom, oddTo) = (Now.AddDays(-5).AddMinutes(-17).AddSeconds(-3), Now.AddDays(-1).AddMinutes(-41));

        var cases = new (CallFilter Filter, Func<CallRecord, bool> Matches)[]
        {
            (new CallFilter(), _ => true),
            (new CallFilter { From = Now.AddDays(-1) }, c => In(c, Now.AddDays(-1), null)),
            (new CallFilter { From = Now.AddDays(-7).AddMinutes(13) }, c => In(c, Now.AddDays(-7).AddMinutes(13), null)),
            (new CallFilter { From = oddFrom, To = oddTo }, c => In(c, oddFrom, oddTo)),
            (new CallFilter { From = Now.AddHours(-5).AddMinutes(-30), To = Now.AddHours(-1).AddMinutes(-10) }, c => In(c, Now.AddHours(-5).AddMinutes(-30), Now.AddHours(-1).AddMinutes(-10))),
            (new CallFilter { To = oddTo }, c => In(c, null, oddTo)),
            (new CallFilter { TeamId = team, From = oddFrom }, c => c.TeamId == team && In(c, oddFrom, null)),
            (new CallFilter { KeyId = key }, c => c.KeyId == key),
            (new CallFilter { Provider = provider, To = oddTo }, c => c.ProviderName == provider && In(c, null, oddTo)),
            (new CallFilter { Caller = caller[1..^1].ToUpperInvariant() }, c => c.Caller != null && c.Caller.Contains(caller[1..^1], StringComparison.OrdinalIgnoreCase)),
        };
        foreach (var (filter, matches) in cases)
        {
            Assert.True(CallTotalsQuery.RollupsCanAnswer(filter));
            var expected = SumsOf(rows.Where(matches));
            Assert.True(expected.Calls > 0, $"no demo call matches {filter}");
            Assert.Equal(expected, await TotalsAsync(filter));
        }
    }

    [Fact]
    public async Task The_whole_days_and_hours_of_a_range_are_read_from_the_rollups()
    {
        // One more call in a day's rollup than in the rows: only the rollups could have said so.
        var day = RollupGrain.BucketOf(RollupGrain.Day, Now.AddDays(-3));
        var expected = SumsOf(await RowsAsync());
        await using var db = app.OpenDb();
        var row = await db.CallRollups.Where(r => r.Grain == RollupGrain.Day && r.Bucket == day).OrderBy(r => r.Dims).FirstAsync();
        row.Calls += 1000;
        await db.SaveChangesAsync();
        try
        {
            Assert.Equal(expected.Calls + 1000, (await TotalsAsync(new CallFilter())).Calls);
            // A filter the rollups cannot answer (every cost is at least 0) reads the rows.
            Assert.Equal(expected.Calls, (await TotalsAsync(new CallFilter { CostMin = 0m })).Calls);
        }
        finally
        {
            row.Calls -= 1000;
            await db.SaveChangesAsync();
        }
    }

    [Fact]
    public async Task A_rollup_row_from_before_the_new_sums_sends_the_strip_to_the_raw_log()
    {
        var day = RollupGrain.BucketOf(RollupGrain.Day, Now.AddDays(-2));
        var expected = SumsOf(await RowsAsync());
        await using var db = app.OpenDb();
        var row = await db.CallRollups.Where(r => r.Grain == RollupGrain.Day && r.Bucket == day).OrderBy(r => r.Dims).FirstAsync();
        var cached = row.CachedInputTokens;
        (row.CachedInputTokens, row.Calls) = (null, row.Calls + 1000); // as a row written before migration 20261201106000
        await db.SaveChangesAsync();
        try
        {
            Assert.Equal(expected, await TotalsAsync(new CallFilter()));
        }
        finally
        {
            (row.CachedInputTokens, row.Calls) = (cached, row.Calls - 1000);
            await db.SaveChangesAsync();
        }
    }

    [Fact]
    public async Task Other_filters_are_summed_from_the_raw_log_in_full_while_time_allows()
    {
        var rows = await RowsAsync();
        var model = rows.GroupBy(r => r.ModelRequested).OrderByDescending(g => g.Count()).First().Key;
        var filter = new CallFilter { Model = model, From = Now.AddDays(-6).AddMinutes(-7) };
        Assert.False(CallTotalsQuery.RollupsCanAnswer(filter));

        var totals = await TotalsAsync(filter);

        Assert.Null(totals.CountedFrom);
        Assert.Equal(SumsOf(rows.Where(c => c.ModelRequested == model && c.At >= filter.From)), totals);
        var failed = await TotalsAsync(new CallFilter { Outcome = CallOutcome.Failed });
        Assert.Equal(SumsOf(rows.Where(c => c.ErrorClass != null)), failed);
        Assert.True(failed.Calls > 0);
        // The same window by window (as over a range of millions), with time to spare: the same sums.
        Assert.Equal(failed, await TotalsAsync(new CallFilter { Outcome = CallOutcome.Failed }, rawAtOnce: 0));
    }

    [Fact]
    public async Task Cut_short_by_the_budget_the_sums_are_exactly_those_since_the_instant_named()
    {
        var rows = await RowsAsync();
        var filter = new CallFilter { Outcome = CallOutcome.Succeeded };

        // As if the range held more calls than one query may sum, and every reading of the clock were two seconds
        // later: the budget is spent after the first window.
        var totals = await TotalsAsync(filter, new BudgetClock(TimeSpan.FromSeconds(2)), rawAtOnce: 0);

        Assert.NotNull(totals.CountedFrom);
        var since = totals.CountedFrom!.Value;
        Assert.True(since > rows.Min(r => r.At) && since < Now);
        var expected = SumsOf(rows.Where(c => c.ErrorClass == null && c.At >= since));
        Assert.True(expected.Calls > 0);
        Assert.Equal(expected, totals with { CountedFrom = null });
        Assert.True(totals.Calls < SumsOf(rows.Where(c => c.ErrorClass == null)).Calls);
    }
}
