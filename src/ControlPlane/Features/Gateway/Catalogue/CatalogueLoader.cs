using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>
/// Syncs providers from configuration, loads the catalogue before the app takes requests, and reloads it on a timer
/// as a safety net: another node's changes arrive at once as a CatalogueChanged carried by the cluster bus (this
/// node's own changes reload it at once; their event reloads it once more, which is cheap and rare).
/// </summary>
internal sealed class CatalogueLoader(IServiceProvider services, GatewayCatalog catalog, EventBus events, ILogger<CatalogueLoader> logger)
    : SnapshotRefresher(logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(10);
    protected override string Snapshot => "the gateway catalogue";

    protected override async Task BeforeFirstLoadAsync(CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ConfiguredProviders>().SyncAsync(ct);
    }

    protected override Task ReloadAsync(CancellationToken ct) => catalog.ReloadAsync(ct);

    protected override IEnumerable<IDisposable> SubscribeToChanges(CancellationToken stoppingToken) =>
        [events.Subscribe<CatalogueChanged>(_ => ReloadSoon(stoppingToken))];
}
