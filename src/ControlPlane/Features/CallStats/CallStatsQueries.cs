using System.Linq.Expressions;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ControlPlane.Features.CallStats;

/// <summary>
/// Per-call statistics per provider's model over a range, scoped like the Requests page. Percentiles are PostgreSQL's
/// percentile_cont there; elsewhere the database sorts each model's values and <see cref="Percentiles.Cont"/> reads them
/// one model at a time (the same interpolation, so both give the same numbers). Speed is measured on calls that succeeded.
/// </summary>
public sealed class CallStatsQueries(IDbContextFactory<ControlPlaneDb> dbFactory, CallQueries calls)
{
    public const int LongestRangeDays = 92;

    public async Task<StatsReport> ReadAsync(Actor actor, StatsRange range, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(2));
        var teamIds = await calls.TeamIdsAsync(actor, range.TeamId, ct);
        if (teamIds is { Count: 0 }) return StatsReport.Empty;
        var inRange = db.Calls.AsNoTracking().Where(c => c.At >= range.From && c.At < range.To);
        if (teamIds is not null) inRange = inRange.Where(c => c.TeamId != null && teamIds.Contains(c.TeamId.Value));

        var sums = await inRange.Where(c => c.ModelServed != null && c.ProviderName != null)
            .GroupBy(c => new { c.ModelServed, c.ProviderName })
            .Select(g => new
            {
                Model = g.Key.ModelServed!, Provider = g.Key.ProviderName!, Calls = g.Sum(c => (long)c.Count),
                Errors = g.Sum(c => c.ErrorClass != null ? (long)c.Count : 0L), Cost = g.Sum(c => c.Cost),
                Tokens = g.Sum(c => c.InputTokens + c.OutputTokens), Estimated = g.Sum(c => c.UsageSource == UsageSource.Estimated ? (long)c.Count : 0L),
            })
            .ToListAsync(ct);
        var errorRows = await inRange.Where(c => c.ErrorClass != null)
            .GroupBy(c => new { c.ModelServed, c.ProviderName, c.ErrorClass })
            .Select(g => new { g.Key.ModelServed, g.Key.ProviderName, g.Key.ErrorClass, Count = g.Sum(c => (long)c.Count) })
            .ToListAsync(ct);
        var all = await inRange.GroupBy(_ => 1).Select(g => new { Calls = g.Sum(c => (long)c.Count), Errors = g.Sum(c => c.ErrorClass != null ? (long)c.Count : 0L) })
            .FirstOrDefaultAsync(ct);

        var speeds = db.Database.IsNpgsql()
            ? await PostgresSpeedsAsync(db, range, teamIds, ct)
            : await SortedSpeedsAsync(inRange, ct);

        var models = sums.Select(s =>
        {
            (Spread Ttft, Spread Latency, Spread Tps) speed = speeds.TryGetValue((s.Model, s.Provider), out var found) ? found : (Spread.None, Spread.None, Spread.None);
            var errors = errorRows.Where(e => e.ModelServed == s.Model && e.ProviderName == s.Provider)
                .ToDictionary(e => e.ErrorClass!, e => e.Count);
            return new ModelStats(s.Model, s.Provider, s.Calls, s.Errors, speed.Ttft, speed.Latency, speed.Tps, s.Cost, s.Tokens, s.Estimated, errors);
        }).OrderByDescending(m => m.Calls).ThenBy(m => m.Model, StringComparer.Ordinal).ToList();
        var byClass = errorRows.GroupBy(e => e.ErrorClass!).ToDictionary(g => g.Key, g => g.Sum(e => e.Count));
        return new StatsReport(models, all?.Calls ?? 0, all?.Errors ?? 0, byClass);
    }

    /// <summary>Every call in the range pooled (no model split, no scope: for /health): counts and latency percentiles.</summary>
    public async Task<PooledStats> PooledAsync(DateTime from, DateTime to, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var inRange = db.Calls.AsNoTracking().Where(c => c.At >= from && c.At < to);
        var counts = await inRange.GroupBy(_ => 1).Select(g => new { Calls = g.Sum(c => (long)c.Count), Errors = g.Sum(c => c.ErrorClass != null ? (long)c.Count : 0L) })
            .FirstOrDefaultAsync(ct);
        var ok = inRange.Where(c => c.ErrorClass == null && c.ModelServed != null);
        Spread latency, ttft;
        if (db.Database.IsNpgsql())
        {
            const string sql = """
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS "LatencyP50",
                    percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS "LatencyP95",
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS "LatencyP99",
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY time_to_first_token_ms) AS "TtftP50",
                    percentile_cont(0.95) WITHIN GROUP (ORDER BY time_to_first_token_ms) AS "TtftP95",
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY time_to_first_token_ms) AS "TtftP99"
                FROM calls WHERE at >= @from AND at < @to AND error_class IS NULL AND model_served IS NOT NULL
                """;
            var row = (await db.Database.SqlQueryRaw<PooledRow>(sql, new NpgsqlParameter("from", from), new NpgsqlParameter("to", to)).ToListAsync(ct)).Single();
            latency = new Spread(row.LatencyP50, row.LatencyP95, row.LatencyP99);
            ttft = new Spread(row.TtftP50, row.TtftP95, row.TtftP99);
        }
        else
        {
            latency = Spread.OfSorted(await ok.OrderBy(c => c.LatencyMs).Select(c => (double)c.LatencyMs).ToListAsync(ct));
            ttft = Spread.OfSorted(await ok.Where(c => c.TimeToFirstTokenMs != null).OrderBy(c => c.TimeToFirstTokenMs)
                .Select(c => (double)c.TimeToFirstTokenMs!.Value).ToListAsync(ct));
        }
        return new PooledStats(counts?.Calls ?? 0, counts?.Errors ?? 0, latency, ttft);
    }

    private sealed record PooledRow(double? LatencyP50, double? LatencyP95, double? LatencyP99, double? TtftP50, double? TtftP95, double? TtftP99);

    private sealed record SpeedRow(string Model, string Provider, double? TtftP50, double? TtftP95, double? TtftP99,
        double? LatencyP50, double? LatencyP95, double? LatencyP99, double? TpsP50, double? TpsP95, double? TpsP99);

    private static async Task<Dictionary<(string, string), (Spread Ttft, Spread Latency, Spread Tps)>> PostgresSpeedsAsync(
        ControlPlaneDb db, StatsRange range, List<Guid>? teamIds, CancellationToken ct)
    {
        const string sql = """
            SELECT model_served AS "Model", provider_name AS "Provider",
                percentile_cont(0.5) WITHIN GROUP (ORDER BY time_to_first_token_ms) AS "TtftP50",
                percentile_cont(0.95) WITHIN GROUP (ORDER BY time_to_first_token_ms) AS "TtftP95",
                percentile_cont(0.99) WITHIN GROUP (ORDER BY time_to_first_token_ms) AS "TtftP99",
                percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS "LatencyP50",
                percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS "LatencyP95",
                percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS "LatencyP99",
                percentile_cont(0.5) WITHIN GROUP (ORDER BY output_tokens_per_second) AS "TpsP50",
                percentile_cont(0.95) WITHIN GROUP (ORDER BY output_tokens_per_second) AS "TpsP95",
                percentile_cont(0.99) WITHIN GROUP (ORDER BY output_tokens_per_second) AS "TpsP99"
            FROM calls
            WHERE at >= @from AND at < @to AND error_class IS NULL AND model_served IS NOT NULL AND provider_name IS NOT NULL
                AND (@all OR team_id = ANY(@teams))
            GROUP BY model_served, provider_name
            """;
        var rows = await db.Database.SqlQueryRaw<SpeedRow>(sql,
                new NpgsqlParameter("from", range.From), new NpgsqlParameter("to", range.To),
                new NpgsqlParameter("all", teamIds is null), new NpgsqlParameter("teams", (teamIds ?? []).ToArray()))
            .ToListAsync(ct);
        return rows.ToDictionary(r => (r.Model, r.Provider), r => (
            new Spread(r.TtftP50, r.TtftP95, r.TtftP99), new Spread(r.LatencyP50, r.LatencyP95, r.LatencyP99), new Spread(r.TpsP50, r.TpsP95, r.TpsP99)));
    }

    private static async Task<Dictionary<(string, string), (Spread Ttft, Spread Latency, Spread Tps)>> SortedSpeedsAsync(
        IQueryable<CallRecord> inRange, CancellationToken ct)
    {
        var ok = inRange.Where(c => c.ErrorClass == null && c.ModelServed != null && c.ProviderName != null);
        var ttft = await SpreadsAsync(ok.Where(c => c.TimeToFirstTokenMs != null), c => (double)c.TimeToFirstTokenMs!.Value, ct);
        var latency = await SpreadsAsync(ok, c => (double)c.LatencyMs, ct);
        var tps = await SpreadsAsync(ok.Where(c => c.OutputTokensPerSecond != null), c => c.OutputTokensPerSecond!.Value, ct);
        return latency.Keys.Concat(ttft.Keys).Concat(tps.Keys).Distinct().ToDictionary(k => k, k =>
            (ttft.GetValueOrDefault(k, Spread.None), latency.GetValueOrDefault(k, Spread.None), tps.GetValueOrDefault(k, Spread.None)));
    }

    /// <summary>Streams one measure sorted by model and value; keeps one model's values at a time.</summary>
    private static async Task<Dictionary<(string, string), Spread>> SpreadsAsync(IQueryable<CallRecord> calls, Expression<Func<CallRecord, double>> measure, CancellationToken ct)
    {
        var result = new Dictionary<(string, string), Spread>();
        var values = new List<double>();
        (string, string)? current = null;
        await foreach (var row in Sorted(calls, measure).WithCancellation(ct))
        {
            var key = (row.Model, row.Provider);
            if (current is { } open && open != key)
            {
                result[open] = Spread.OfSorted(values);
                values.Clear();
            }
            current = key;
            values.Add(row.Value);
        }
        if (current is { } last) result[last] = Spread.OfSorted(values);
        return result;
    }

    private sealed record Measured(string Model, string Provider, double Value);

    /// <summary>(model, provider, measure) ordered by model, provider and the measure: the measure's expression built into the projection.</summary>
    private static IAsyncEnumerable<Measured> Sorted(IQueryable<CallRecord> calls, Expression<Func<CallRecord, double>> measure)
    {
        var c = measure.Parameters[0];
        var body = Expression.New(typeof(Measured).GetConstructors()[0],
            Expression.Coalesce(Expression.Property(c, nameof(CallRecord.ModelServed)), Expression.Constant("")),
            Expression.Coalesce(Expression.Property(c, nameof(CallRecord.ProviderName)), Expression.Constant("")),
            measure.Body);
        var select = Expression.Lambda<Func<CallRecord, Measured>>(body, c);
        return calls.OrderBy(x => x.ModelServed).ThenBy(x => x.ProviderName).ThenBy(measure).Select(select).AsAsyncEnumerable();
    }
}
