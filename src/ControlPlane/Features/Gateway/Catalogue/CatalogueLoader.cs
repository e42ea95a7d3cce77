using ControlPlane.Features.Gateway.Providers;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>
/// Syncs providers from configuration, loads the catalogue before the app takes requests, and reloads it on a timer
/// so that changes made on another node arrive here too (this node's own changes reload it at once).
/// </summary>
internal sealed partial class CatalogueLoader(IServiceProvider services, GatewayCatalog catalog, ILogger<CatalogueLoader> logger) : BackgroundService
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
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await catalog.ReloadAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReloadFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the gateway catalogue failed; the previous one stays in use")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
