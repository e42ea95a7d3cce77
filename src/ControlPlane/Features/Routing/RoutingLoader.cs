using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Routing;

/// <summary>
/// Loads the routing snapshot before the app takes calls, reloads it at once when rules or locks change on any node
/// (RoutingChanged over the cluster bus) or teams change, and every few seconds as a safety net; refreshes latencies
/// every minute while a rule needs them.
/// </summary>
internal sealed partial class RoutingLoader(RoutingTable table, EventBus events, ILogger<RoutingLoader> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LatencyInterval = TimeSpan.FromMinutes(1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await table.ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var changed = events.Subscribe<RoutingChanged>(e => { _ = ReloadAsync(false, stoppingToken); });
        using var teams = events.Subscribe<TeamSettingsChanged>(e => { _ = ReloadAsync(false, stoppingToken); });
        using var timer = new PeriodicTimer(Interval);
        var sinceLatency = TimeSpan.Zero;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            sinceLatency += Interval;
            var latency = sinceLatency >= LatencyInterval && table.NeedsLatency;
            if (latency) sinceLatency = TimeSpan.Zero;
            await ReloadAsync(latency, stoppingToken);
        }
    }

    private async Task ReloadAsync(bool latency, CancellationToken ct)
    {
        try
        {
            if (latency) await table.RefreshLatencyAsync(ct);
            else await table.ReloadAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReloadFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the routing rules failed; the previous ones stay in use")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
