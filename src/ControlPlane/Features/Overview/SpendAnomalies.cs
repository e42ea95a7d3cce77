using System.Globalization;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Overview;

/// <summary>One hour's spend and calls of a key or a team.</summary>
public readonly record struct HourSums(decimal Cost, long Calls);

/// <summary>An hour whose spend or calls were far above the subject's usual pattern, and why.</summary>
public sealed record SpendAnomaly(string Subject, string SubjectKind, DateTime Hour, double Z, string Reason)
{
    /// <summary>The key's or the team's id (set by <see cref="SpendAnomalies"/>).</summary>
    public Guid? SubjectId { get; init; }

    /// <summary>The team the anomaly concerns: the team itself, or the key's team.</summary>
    public Guid? TeamId { get; init; }
}

/// <summary>
/// When an hour counts as an anomaly: its value is at least <see cref="Threshold"/> standard deviations above the mean
/// of the subject's previous <see cref="HistoryHours"/> hours (a rolling z-score, hours without calls counting as
/// zero, but only from the subject's first call on), with at least <see cref="MinHistoryHours"/> of such history, at
/// least <see cref="MinRatio"/> times that mean, and not trivially small (<see cref="MinCalls"/> calls or
/// <see cref="MinSpend"/> USD). The deviation has a floor (a tenth of the mean, and one call or a cent), so a subject
/// that never varied is not flagged for a single extra call.
/// </summary>
public sealed record AnomalyRules(int HistoryHours = 168, int MinHistoryHours = 48, double Threshold = 4.0, double MinRatio = 3.0, long MinCalls = 20, decimal MinSpend = 0.5m)
{
    public static AnomalyRules Default { get; } = new();
}

/// <summary>The rolling z-score over one subject's hourly series.</summary>
public static class AnomalyDetector
{
    /// <summary>
    /// The anomalous hours among the last <paramref name="evaluated"/> of <paramref name="hours"/> (contiguous hours from
    /// <paramref name="start"/>, oldest first).
    /// </summary>
    public static IEnumerable<SpendAnomaly> Find(string subject, string kind, DateTime start, IReadOnlyList<HourSums> hours, int evaluated, AnomalyRules rules)
    {
        var firstActive = -1;
        for (var i = 0; i < hours.Count && firstActive < 0; i++)
            if (hours[i].Calls > 0) firstActive = i;
        if (firstActive < 0) yield break;
        for (var h = Math.Max(0, hours.Count - evaluated); h < hours.Count; h++)
        {
            var from = Math.Max(firstActive, h - rules.HistoryHours);
            if (h - from < rules.MinHistoryHours) continue;
            var reasons = new List<string>();
            var z = 0.0;
            if (Check(hours, from, h, x => (double)x.Cost, 0.01, rules, (double)rules.MinSpend) is { } spend)
            {
                z = Math.Max(z, spend.Z);
                reasons.Add($"spent {Usd(spend.Value)}, {spend.Z:0.0}σ above its usual {Usd(spend.Mean)} ± {Usd(spend.Sd)} an hour");
            }
            if (Check(hours, from, h, x => x.Calls, 1, rules, rules.MinCalls) is { } calls)
            {
                z = Math.Max(z, calls.Z);
                reasons.Add($"made {calls.Value:0} calls, {calls.Z:0.0}σ above its usual {calls.Mean:0.#} ± {calls.Sd:0.#} an hour");
            }
            if (reasons.Count == 0) continue;
            var hour = start.AddHours(h);
            var window = h - from >= rules.HistoryHours ? $"the previous {rules.HistoryHours / 24.0:0.#} days" : $"the previous {h - from} hours";
            yield return new SpendAnomaly(subject, kind, hour, z,
                $"{string.Join("; ", reasons)} (hour from {hour.ToString("ddd HH:mm", CultureInfo.InvariantCulture)} UTC, against {window})");
        }
    }

    private readonly record struct Deviation(double Value, double Mean, double Sd, double Z);

    private static Deviation? Check(IReadOnlyList<HourSums> hours, int from, int h, Func<HourSums, double> measure, double floor, AnomalyRules rules, double minimum)
    {
        var value = measure(hours[h]);
        if (value < minimum) return null;
        double sum = 0, squares = 0;
        var n = h - from;
        for (var i = from; i < h; i++)
        {
            var x = measure(hours[i]);
            sum += x;
            squares += x * x;
        }
        var mean = sum / n;
        var sd = Math.Sqrt(Math.Max(0, squares / n - mean * mean));
        var z = (value - mean) / Math.Max(sd, Math.Max(mean * 0.1, floor));
        return z >= rules.Threshold && value >= rules.MinRatio * mean ? new Deviation(value, mean, sd, z) : null;
    }

    private static string Usd(double amount) => amount.ToString(amount >= 1 ? "$0.00" : "$0.00##", CultureInfo.InvariantCulture);
}

/// <summary>
/// Finds the anomalies of the last 24 hours per key and per team in the hourly rollups of the last
/// 24 + <see cref="AnomalyRules.HistoryHours"/> hours; the strongest first. A Member (scoped to keys) sees key anomalies only.
/// </summary>
public sealed class SpendAnomalies(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, TimeProvider clock)
{
    public const int EvaluatedHours = 24;
    public const int Listed = 6;

    public async Task<IReadOnlyList<SpendAnomaly>> ReadAsync(OverviewScope scope, AnomalyRules? rules = null, CancellationToken ct = default) =>
        [.. (await FindAsync(scope, rules, ct)).OrderByDescending(a => a.Z).ThenBy(a => a.Subject, StringComparer.Ordinal).Take(Listed)];

    /// <summary>Every anomaly of the last 24 hours within the scope, each with its subject's id and team (the anomaly alerts' input).</summary>
    public async Task<IReadOnlyList<SpendAnomaly>> FindAsync(OverviewScope scope, AnomalyRules? rules = null, CancellationToken ct = default)
    {
        rules ??= AnomalyRules.Default;
        var now = RollupGrain.BucketOf(RollupGrain.Hour, clock.GetUtcNow().UtcDateTime);
        var count = EvaluatedHours + rules.HistoryHours;
        var start = now.AddHours(1 - count);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = scope.Filter(db.CallRollups.AsNoTracking()).Where(r => r.Grain == RollupGrain.Hour && r.Bucket >= start && r.Bucket <= now);
        var byKey = await rows.GroupBy(r => new { r.KeyId, r.Bucket })
            .Select(g => new { Id = g.Key.KeyId, g.Key.Bucket, Cost = g.Sum(r => r.Cost), Calls = g.Sum(r => r.Calls) }).ToListAsync(ct);
        var found = new List<SpendAnomaly>();
        var keyNames = await db.ApiKeys.AsNoTracking().Select(k => new { k.Id, k.Name, k.TeamId }).ToDictionaryAsync(k => k.Id, ct);
        foreach (var key in byKey.Where(k => k.Id != Guid.Empty).GroupBy(k => k.Id))
            found.AddRange(AnomalyDetector.Find($"key {(keyNames.TryGetValue(key.Key, out var named) ? named.Name : "(removed key)")}", "key", start,
                    Series(start, count, key.Select(k => (k.Bucket, new HourSums(k.Cost, k.Calls)))), EvaluatedHours, rules)
                .Select(a => a with { SubjectId = key.Key, TeamId = keyNames.TryGetValue(key.Key, out var k) ? k.TeamId : null }));
        if (scope.Keys is null)
        {
            var byTeam = await rows.GroupBy(r => new { r.TeamId, r.Bucket })
                .Select(g => new { Id = g.Key.TeamId, g.Key.Bucket, Cost = g.Sum(r => r.Cost), Calls = g.Sum(r => r.Calls) }).ToListAsync(ct);
            var paths = (await teams.ListAsync(TeamScope.Everything, ct)).ToDictionary(n => n.Team.Id, n => n.Path);
            foreach (var team in byTeam.Where(t => t.Id != Guid.Empty).GroupBy(t => t.Id))
                found.AddRange(AnomalyDetector.Find($"team {paths.GetValueOrDefault(team.Key, TeamSpendByDay.RemovedTeam)}", "team", start,
                        Series(start, count, team.Select(t => (t.Bucket, new HourSums(t.Cost, t.Calls)))), EvaluatedHours, rules)
                    .Select(a => a with { SubjectId = team.Key, TeamId = team.Key }));
        }
        return found;
    }

    internal static HourSums[] Series(DateTime start, int count, IEnumerable<(DateTime Bucket, HourSums Sums)> buckets)
    {
        var series = new HourSums[count];
        foreach (var (bucket, sums) in buckets)
        {
            var i = (int)((DateTime.SpecifyKind(bucket, DateTimeKind.Utc) - start).Ticks / TimeSpan.TicksPerHour);
            if (i >= 0 && i < count) series[i] = new HourSums(series[i].Cost + sums.Cost, series[i].Calls + sums.Calls);
        }
        return series;
    }
}
