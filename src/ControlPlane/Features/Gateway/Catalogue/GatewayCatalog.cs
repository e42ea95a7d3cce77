using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>
/// A provider as the relay needs it: where, how, and its decrypted secret (only ever in memory).
/// <see cref="UnansweredAttemptsFree"/>: the provider does not bill a request it never answered, so such attempts
/// are retried and not charged (<see cref="Provider.UnansweredAttemptsFree"/>).
/// </summary>
public sealed record ProviderEndpoint(
    Guid Id, string Name, string Kind, Uri BaseUrl, string? ApiVersion, string? ApiKey,
    TimeSpan ConnectTimeout, TimeSpan FirstByteTimeout, TimeSpan IdleTimeout, TimeSpan TotalTimeout, int MaxRetries,
    bool UnansweredAttemptsFree = false)
{
    /// <summary>Changes when anything that shapes the provider's client or its retry pipeline changes (computed once).</summary>
    public string ClientShape { get; } = $"{BaseUrl}|{ConnectTimeout}|{MaxRetries}|{FirstByteTimeout}|{UnansweredAttemptsFree}";

    public override string ToString() => $"{Name} ({Kind})"; // never the key
}

/// <summary>One way to serve an alias: a provider and its model name there.</summary>
public sealed record RouteTarget(ProviderEndpoint Provider, string UpstreamModel)
{
    /// <summary>What this target can do (the capability registry); routing rules and data residency read it.</summary>
    public TargetCapabilities Capabilities { get; init; } = TargetCapabilities.Unstated;
}

/// <summary>An alias callers may ask for, and its targets in failover order (enabled providers only).</summary>
public sealed record CatalogEntry(string Alias, string Kind, int ContextWindow, bool SupportsTools, bool SupportsVision, IReadOnlyList<RouteTarget> Targets);

/// <summary>
/// The gateway's read-only view of providers, models and prices, swapped whole on reload so that a request sees
/// one consistent version without locks.
/// </summary>
public sealed class GatewayCatalog(IDbContextFactory<ControlPlaneDb> dbFactory, ProviderSecrets secrets)
{
    private static readonly IReadOnlySet<Guid> NoneDown = new HashSet<Guid>();
    private readonly Lock _swap = new();
    private volatile Snapshot _current = new(new Dictionary<string, CatalogEntry>(StringComparer.Ordinal), PriceBook.Empty);
    private IReadOnlySet<Guid> _down = NoneDown;

    /// <summary>
    /// <see cref="Down"/>: the providers the health poller found down, which the router skips while another target of
    /// the alias is up (set by <see cref="ProviderHealthBoard"/>, kept across reloads).
    /// </summary>
    public sealed record Snapshot(IReadOnlyDictionary<string, CatalogEntry> Models, PriceBook Prices)
    {
        public IReadOnlySet<Guid> Down { get; init; } = NoneDown;
    }

    public Snapshot Current => _current;

    /// <summary>Swaps in the set of providers that are down; a reload running at the same time keeps it.</summary>
    public void SetDown(IReadOnlySet<Guid> down)
    {
        lock (_swap)
        {
            _down = down;
            _current = _current with { Down = down };
        }
    }

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        // Reloads race (an admin's change, its event, the timer): the one that started last read the newest rows and wins.
        var mine = Interlocked.Increment(ref _started);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var providers = (await db.Providers.AsNoTracking().Where(p => p.Enabled).ToListAsync(ct))
            .ToDictionary(p => p.Id, ToEndpoint);
        var models = await db.CatalogModels.AsNoTracking().Where(m => m.Enabled).ToListAsync(ct);
        var targets = (await db.ModelTargets.AsNoTracking().ToListAsync(ct)).ToLookup(t => t.ModelId);
        var prices = await db.Prices.AsNoTracking().ToListAsync(ct);

        var entries = models.ToDictionary(m => m.Alias, m => new CatalogEntry(
            m.Alias, m.Kind, m.ContextWindow, m.SupportsTools, m.SupportsVision,
            [.. targets[m.Id].OrderBy(t => t.Priority).Where(t => providers.ContainsKey(t.ProviderId))
                .Select(t => new RouteTarget(providers[t.ProviderId], t.UpstreamModel) { Capabilities = TargetCapabilities.Of(m, t, providers[t.ProviderId]) })]), StringComparer.Ordinal);
        lock (_swap)
        {
            if (mine < _applied) return;
            _applied = mine;
            _current = new Snapshot(entries, new PriceBook(prices)) { Down = _down };
        }
    }

    private long _started, _applied;

    private ProviderEndpoint ToEndpoint(Provider p) => ToEndpoint(p, secrets);

    public static ProviderEndpoint ToEndpoint(Provider p, ProviderSecrets secrets) => new(
        p.Id, p.Name, p.Kind, new Uri(p.BaseUrl.TrimEnd('/') + "/"), p.ApiVersion, secrets.Unprotect(p.EncryptedApiKey),
        TimeSpan.FromSeconds(p.ConnectTimeoutSeconds), TimeSpan.FromSeconds(p.FirstByteTimeoutSeconds),
        TimeSpan.FromSeconds(p.IdleTimeoutSeconds), TimeSpan.FromSeconds(p.TotalTimeoutSeconds), p.MaxRetries, p.UnansweredAttemptsFree);
}
