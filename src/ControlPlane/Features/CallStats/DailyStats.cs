using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ControlPlane.Features.CallStats;

/// <summary>One model's value on one UTC day.</summary>
public sealed record DailyPoint(string Model, DateTime Day, double Value);

/// <summary>
/// The stats page's charts: per UTC day and model (the busiest few), the p95 latency of calls that succeeded and the
/// error rate. Percentiles as in <see cref="CallStatsQueries"/>: percentile_cont on PostgreSQL, sorted reads elsewhere.
/// </summary>
public sealed class DailyStats(IDbContextFactory<ControlPlaneDb> dbFactory, CallQueries calls)
{
    public async Task<(IReadOnlyList<DailyPoint> LatencyP95, IReadOnlyList<DailyPoint> ErrorRate)> ReadAsync(
        Actor actor, StatsRange range, IReadOnlyCollection<string> models, CancellationToken ct = default)
    {
        if (models.Count == 0) return ([], []);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(2));
        var teamIds = await calls.TeamIdsAsync(actor, range.TeamId, ct);
        if (teamIds is { Count: 0 }) return ([], []);
        var names = models.ToList();
        var inRange = db.Calls.AsNoTracking().Where(c => c.At >= range.From && c.At < range.To && c.ModelServed != null && names.Contains(c.ModelServed));
        if (teamIds is not null) inRange = inRange.Where(c => c.TeamId != null && teamIds.Contains(c.TeamId.Value));

        var errors = (await inRange.GroupBy(c => new { c.ModelServed, c.At.Date })
                .Select(g => new { g.Key.ModelServed, g.Key.Date, Calls = g.Sum(c => c.Count), Errors = g.Sum(c => c.ErrorClass != null ? c.Count : 0) })
                .ToListAsync(ct))
            .Select(r => new DailyPoint(r.ModelServed!, DateTime.SpecifyKind(r.Date, DateTimeKind.Utc), r.Calls == 0 ? 0 : Math.Round(100.0 * r.Errors / r.Calls, 2)))
            .OrderBy(p => p.Model, StringComparer.Ordinal).ThenBy(p => p.Day).ToList();

        List<DailyPoint> latency;
        if (db.Database.IsNpgsql())
        {
            const string sql = """
                SELECT model_served AS "Model", date_trunc('day', at AT TIME ZONE 'UTC') AS "Day",
                    percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS "Value"
                FROM calls
                WHERE at >= @from AND at < @to AND error_class IS NULL AND model_served = ANY(@models) AND (@all OR team_id = ANY(@teams))
                GROUP BY model_served, date_trunc('day', at AT TIME ZONE 'UTC')
                """;
            latency = await db.Database.SqlQueryRaw<DailyPoint>(sql, new NpgsqlParameter("from", range.From), new NpgsqlParameter("to", range.To),
                    new NpgsqlParameter("models", names.ToArray()), new NpgsqlParameter("all", teamIds is null), new NpgsqlParameter("teams", (teamIds ?? []).ToArray()))
                .ToListAsync(ct);
            latency = [.. latency.Select(p => p with { Day = DateTime.SpecifyKind(p.Day, DateTimeKind.Utc) })];
        }
        else
        {
            latency = [];
            var values = new List<double>();
            (string Model, DateTime Day)? current = null;
            var sorted = inRange.Where(c => c.ErrorClass == null).OrderBy(c => c.ModelServed).ThenBy(c => c.At.Date).ThenBy(c => c.LatencyMs)
                .Select(c => new { Model = c.ModelServed!, c.At.Date, c.LatencyMs }).AsAsyncEnumerable();
            await foreach (var row in sorted.WithCancellation(ct))
            {
                var key = (row.Model, row.Date);
                if (current is { } open && open != key)
                {
                    latency.Add(new DailyPoint(open.Model, DateTime.SpecifyKind(open.Day, DateTimeKind.Utc), Percentiles.Cont(values, 0.95)));
                    values.Clear();
                }
                current = key;
                values.Add(row.LatencyMs);
            }
            if (current is { } last) latency.Add(new DailyPoint(last.Model, DateTime.SpecifyKind(last.Day, DateTimeKind.Utc), Percentiles.Cont(values, 0.95)));
        }
        return ([.. latency.OrderBy(p => p.Model, StringComparer.Ordinal).ThenBy(p => p.Day)], errors);
    }
}
