using ControlPlane.Features.Metering;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Overview;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Digests;

/// <summary>
/// A digest period's spend per key, model and caller, within a reader's scope. Rollups are UTC hours, and a local day
/// is its UTC hours: the whole hours inside [From, To) come from the hourly rollups, and the part-hours at the ends
/// (a half-hour zone such as Asia/Kolkata starts its day at :30 UTC) from the raw log, as the Requests page's totals
/// do (<see cref="CallTotalsQuery"/>). Exact for any zone.
/// </summary>
public sealed class DigestSpend(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    /// <summary>What one key, model and caller spent.</summary>
    internal sealed record Part(Guid KeyId, string Model, string Caller, decimal Cost, long Calls, long Errors);

    internal async Task<IReadOnlyList<Part>> ReadAsync(OverviewScope scope, DateTime from, DateTime to, CancellationToken ct)
    {
        from = DateTime.SpecifyKind(from, DateTimeKind.Utc);
        to = DateTime.SpecifyKind(to, DateTimeKind.Utc);
        var hoursFrom = Ceiling(from);
        var hoursTo = Floor(to);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var parts = new List<Part>();
        if (hoursFrom < hoursTo)
        {
            var rollups = scope.Filter(db.CallRollups.AsNoTracking()).Where(r => r.Grain == RollupGrain.Hour && r.Bucket >= hoursFrom && r.Bucket < hoursTo);
            parts.AddRange(await rollups.GroupBy(r => new { r.KeyId, r.Model, r.Caller })
                .Select(g => new Part(g.Key.KeyId, g.Key.Model, g.Key.Caller, g.Sum(r => r.Cost), g.Sum(r => r.Calls), g.Sum(r => r.Errors))).ToListAsync(ct));
            if (from < hoursFrom) parts.AddRange(await RawAsync(db, scope, from, hoursFrom, ct));
            if (hoursTo < to) parts.AddRange(await RawAsync(db, scope, hoursTo, to, ct));
        }
        else
        {
            parts.AddRange(await RawAsync(db, scope, from, to, ct)); // within one or two UTC hours
        }
        return parts;
    }

    /// <summary>The raw log's calls in [from, to), summed by the rollups' own dimensions (<see cref="RollupSums"/>).</summary>
    private static async Task<List<Part>> RawAsync(ControlPlaneDb db, OverviewScope scope, DateTime from, DateTime to, CancellationToken ct)
    {
        var calls = db.Calls.AsNoTracking().Where(c => c.At >= from && c.At < to);
        if (!scope.Teams.IsEverything)
        {
            var teams = scope.Teams.TeamIds.ToList();
            calls = calls.Where(c => c.TeamId != null && teams.Contains(c.TeamId.Value));
        }
        if (scope.Keys is not null)
        {
            var keys = scope.Keys.ToList();
            calls = calls.Where(c => c.KeyId != null && keys.Contains(c.KeyId.Value));
        }
        var sums = await calls
            .GroupBy(c => new { c.KeyId, Model = c.ModelServed ?? c.ModelRequested ?? "", Caller = c.Caller ?? "" })
            .Select(g => new
            {
                g.Key.KeyId, g.Key.Model, g.Key.Caller, Cost = g.Sum(c => c.Cost), Calls = g.Sum(c => (long)c.Count),
                Errors = g.Sum(c => c.Status >= 400 || c.ErrorClass != null ? (long)c.Count : 0L),
            })
            .ToListAsync(ct);
        return [.. sums.Select(s => new Part(s.KeyId ?? Guid.Empty, s.Model, s.Caller, s.Cost, s.Calls, s.Errors))];
    }

    private static DateTime Floor(DateTime at) => new(at.Ticks - at.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc);
    private static DateTime Ceiling(DateTime at) => at.Ticks % TimeSpan.TicksPerHour == 0 ? at : Floor(at).AddHours(1);
}
