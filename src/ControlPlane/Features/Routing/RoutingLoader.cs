using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Routing;

/// <summary>
/// Loads the routing snapshot before the app takes calls, reloads it at once when rules or locks change on any node
/// (RoutingChanged over the cluster bus) or teams change, and every few seconds as a safety net; refreshes latencies
/// every minute while a rule needs them.
/// </summary>
internal sealed class RoutingLoader(RoutingTable table, EventBus events, ILogger<RoutingLoader> logger) : SnapshotRefresher(logger)
{
    private static readonly TimeSpan LatencyInterval = TimeSpan.FromMinutes(1);
    private TimeSpan _sinceLatency;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(10);
    protected override string Snapshot => "the routing rules";

    protected override Task ReloadAsync(CancellationToken ct) => table.ReloadAsync(ct);

    protected override Task OnTickAsync(CancellationToken ct)
    {
        _sinceLatency += Interval;
        if (_sinceLatency < LatencyInterval || !table.NeedsLatency) return ReloadAsync(ct);
        _sinceLatency = TimeSpan.Zero;
        return table.RefreshLatencyAsync(ct);
    }

    protected override IEnumerable<IDisposable> SubscribeToChanges(CancellationToken stoppingToken) =>
    [
        events.Subscribe<RoutingChanged>(_ => ReloadSoon(stoppingToken)),
        events.Subscribe<TeamSettingsChanged>(_ => ReloadSoon(stoppingToken)),
    ];
}
