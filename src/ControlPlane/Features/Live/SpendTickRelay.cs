using ControlPlane.Infrastructure.Live;
using Microsoft.AspNetCore.SignalR;

namespace ControlPlane.Features.Live;

/// <summary>
/// Sends every spend tick this node's event bus sees (its own, and those the cluster bus brought from other nodes) to
/// the hub's connections on this node whose scope holds it: the everything group, the tick's team's, the tick's key's.
/// </summary>
internal sealed partial class SpendTickRelay(EventBus events, IHubContext<SpendHub> hub, ILogger<SpendTickRelay> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = events.Subscribe<SpendTick>(tick => _ = SendAsync(tick));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    private async Task SendAsync(SpendTick tick)
    {
        List<string> groups = [SpendAudience.EverythingGroup];
        if (tick.TeamId is { } team) groups.Add(SpendAudience.TeamGroup(team));
        if (tick.KeyId is { } key) groups.Add(SpendAudience.KeyGroup(key));
        try
        {
            await hub.Clients.Groups(groups).SendAsync(SpendHub.TickMethod, tick);
        }
        catch (Exception ex)
        {
            LogSendFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending a spend tick to /hubs/spend failed")]
    private static partial void LogSendFailed(ILogger logger, Exception exception);
}
