using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>
/// Syncs providers from configuration, loads the catalogue before the app takes requests, and reloads it on a timer
/// as a safety net: another node's changes arrive at once as a CatalogueChanged carried by the cluster bus (this
/// node's own changes reload it at once; their event reloads it once more, which is cheap and rare).
/// </summary>
internal sealed partial class CatalogueLoader(IServiceProvider services, GatewayCatalog catalog, EventBus events, ILogger<CatalogueLoader> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var scope = services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<ConfiguredProviders>().SyncAsync(cancellationToken);
        await catalog.ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        using var subscription = events.Subscribe<CatalogueChanged>(changed => { _ = ReloadAsync(stoppingToken); });
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await ReloadAsync(stoppingToken);
    }

    private async Task ReloadAsync(CancellationToken ct)
    {
        try
        {
            await catalog.ReloadAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReloadFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the gateway catalogue failed; the previous one stays in use")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
