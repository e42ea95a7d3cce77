using System.Collections.Frozen;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>A provider's health as every node knows it (and as it crosses nodes on the cluster bus).</summary>
public sealed record ProviderHealthChanged(Guid ProviderId, string Name, string State, DateTime Since, DateTime CheckedAt, string? LastError)
{
    public static ProviderHealthChanged Of(ProviderHealthRecord row, string name) =>
        new(row.ProviderId, name, row.State, row.Since, row.CheckedAt, row.LastError);
}

/// <summary>
/// This node's in-memory copy of every provider's health: the Providers page reads it, and it hands the router the set
/// of providers that are down (<see cref="GatewayCatalog.SetDown"/>), so the hot path never asks the database.
/// </summary>
public sealed class ProviderHealthBoard(GatewayCatalog catalog)
{
    private readonly Lock _write = new();
    private volatile FrozenDictionary<Guid, ProviderHealthChanged> _current = FrozenDictionary<Guid, ProviderHealthChanged>.Empty;

    public IReadOnlyDictionary<Guid, ProviderHealthChanged> Current => _current;

    public ProviderHealthChanged? Of(Guid providerId) => _current.GetValueOrDefault(providerId);

    /// <summary>One provider's new state (from this node's poller or another node's); an older report than the one held is ignored.</summary>
    public void Apply(ProviderHealthChanged changed)
    {
        lock (_write)
        {
            if (_current.TryGetValue(changed.ProviderId, out var held) && held.CheckedAt > changed.CheckedAt) return;
            var next = new Dictionary<Guid, ProviderHealthChanged>(_current) { [changed.ProviderId] = changed };
            Swap(next);
        }
    }

    /// <summary>Everything as stored (at start, and as a safety net for events this node missed).</summary>
    public async Task LoadAsync(IDbContextFactory<ControlPlaneDb> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var names = await db.Providers.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        var rows = await db.ProviderHealth.AsNoTracking().ToListAsync(ct);
        var next = rows.Where(r => names.ContainsKey(r.ProviderId)).ToDictionary(r => r.ProviderId, r => ProviderHealthChanged.Of(r, names[r.ProviderId]));
        lock (_write) Swap(next);
    }

    private void Swap(Dictionary<Guid, ProviderHealthChanged> next)
    {
        _current = next.ToFrozenDictionary();
        catalog.SetDown(next.Values.Where(h => h.State == ProviderHealthStates.Down).Select(h => h.ProviderId).ToFrozenSet());
    }
}

/// <summary>
/// Fills the board at start, applies every <see cref="ProviderHealthChanged"/> (this node's and the other nodes'), and
/// reloads it from the database on a timer in case an event was missed.
/// </summary>
internal sealed partial class ProviderHealthLoader(ProviderHealthBoard board, IDbContextFactory<ControlPlaneDb> dbFactory, EventBus events,
    ILogger<ProviderHealthLoader> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = events.Subscribe<ProviderHealthChanged>(board.Apply);
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await ReloadAsync(stoppingToken);
    }

    private async Task ReloadAsync(CancellationToken ct)
    {
        try
        {
            await board.LoadAsync(dbFactory, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReloadFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading provider health failed; the previous states stay in use")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
