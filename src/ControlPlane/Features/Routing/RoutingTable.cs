using ControlPlane.Features.CallStats;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Routing;

/// <summary>Rules or region locks changed: every node's <see cref="RoutingTable"/> reloads (carried by the cluster bus).</summary>
public sealed record RoutingChanged;

/// <summary>
/// The routing snapshot in force, swapped whole on reload so a call sees one consistent version without locks. Rules,
/// teams and locks come from the database; p95 latencies from the call statistics of the last hour (read only while a
/// rule has a latency limit).
/// </summary>
public sealed class RoutingTable(IDbContextFactory<ControlPlaneDb> dbFactory, IServiceProvider services, IOptions<OrganisationOptions> organisation, TimeProvider clock)
{
    private static readonly Actor Statistics = new(null, "routing", Roles.Owner);
    private readonly Lock _swap = new();
    private long _requested, _applied;
    private volatile RoutingSnapshot _current = RoutingSnapshot.Empty;
    private IReadOnlyDictionary<(string, string), double> _latency = new Dictionary<(string, string), double>();

    public RoutingSnapshot Current => _current;

    /// <summary>Whether some rule reads latencies (then <see cref="RefreshLatencyAsync"/> is worth its query).</summary>
    public bool NeedsLatency => _current.Rules.Any(r => r.Action.MaxP95LatencyMs is not null);

    /// <summary>Reads and compiles; of reloads running at once, the one asked for last wins (an older read never replaces a newer one).</summary>
    public async Task ReloadAsync(CancellationToken ct = default)
    {
        var ticket = Interlocked.Increment(ref _requested);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rules = await db.RoutingRules.AsNoTracking().ToListAsync(ct);
        var teams = await db.Teams.AsNoTracking().ToListAsync(ct);
        var locks = await db.RegionLocks.AsNoTracking().ToListAsync(ct);
        var compiled = RoutingSnapshot.Compile(rules, teams, locks, _latency, organisation.Value.Zone);
        lock (_swap)
        {
            if (ticket < _applied) return;
            _applied = ticket;
            _current = compiled;
        }
    }

    /// <summary>p95 latency per provider model over the last hour, then a reload so the rules see it.</summary>
    public async Task RefreshLatencyAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = services.CreateAsyncScope();
        var report = await scope.ServiceProvider.GetRequiredService<CallStatsQueries>().ReadAsync(Statistics, new StatsRange(now.AddHours(-1), now), ct);
        _latency = report.Models.Where(m => m.LatencyMs.P95 is not null).ToDictionary(m => (m.Provider, m.Model), m => m.LatencyMs.P95!.Value);
        await ReloadAsync(ct);
    }

    /// <summary>Tests: a snapshot with given latencies (what the statistics would say).</summary>
    internal async Task UseLatencyAsync(IReadOnlyDictionary<(string, string), double> latency, CancellationToken ct = default)
    {
        _latency = latency;
        await ReloadAsync(ct);
    }
}
