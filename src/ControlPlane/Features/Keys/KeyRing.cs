using System.Security.Cryptography;
using System.Text;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Keys;

/// <summary>
/// What the gateway knows of a key: enough to admit or refuse a call without the database, whether its team
/// keeps prompts and completions (<see cref="KeepPayloadsDays"/>), and its limits beside money (null: none; the
/// caller ceiling falls back to the configured default), which Features/Limits enforces.
/// </summary>
public sealed record KeyEntry(
    Guid Id, Guid TeamId, string Prefix, string Name, DateTime? ExpiresAt, DateTime? RevokedAt, int? KeepPayloadsDays = null,
    int? RequestsPerMinute = null, int? TokensPerMinute = null, int? CallerCeilingCalls = null, Guid? ProjectId = null)
{
    public ApiKeyStatus StatusAt(DateTime now) =>
        RevokedAt is not null ? ApiKeyStatus.Revoked
        : ExpiresAt is { } expiry && expiry <= now ? ApiKeyStatus.Expired
        : ApiKeyStatus.Active;
}

/// <summary>
/// An in-memory snapshot of every key by hash, so the gateway checks a key with one SHA-256 and one dictionary
/// lookup. KeyService reloads it on this node's changes; <see cref="KeyRingRefresher"/> every few seconds, which is
/// how a key revoked on another node reaches this one.
/// </summary>
public sealed class KeyRing(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    private volatile Dictionary<string, KeyEntry> _byHash = new(StringComparer.Ordinal);

    public int Count => _byHash.Count;

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await (from k in db.ApiKeys.AsNoTracking()
                          join t in db.Teams.AsNoTracking() on k.TeamId equals t.Id
                          select new { k.Hash, Entry = new KeyEntry(k.Id, k.TeamId, k.Prefix, k.Name, k.ExpiresAt, k.RevokedAt, t.KeepPayloadsDays,
                              k.RequestsPerMinute, k.TokensPerMinute, k.CallerCeilingCalls, k.ProjectId) })
            .ToListAsync(ct);
        _byHash = keys.ToDictionary(k => k.Hash, k => k.Entry, StringComparer.Ordinal);
    }

    /// <summary>Finds the key whose plaintext was presented; no allocation on the way.</summary>
    public bool TryFind(ReadOnlySpan<char> presented, out KeyEntry entry)
    {
        entry = default!;
        if (presented.Length is 0 or > 256) return false;
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        var length = Encoding.UTF8.GetBytes(presented, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        Span<char> hex = stackalloc char[SHA256.HashSizeInBytes * 2];
        Convert.TryToHexStringLower(hash, hex, out _);
        return _byHash.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(hex, out entry!);
    }
}

/// <summary>
/// Keeps the key ring fresh: loaded before the app takes requests, reloaded by KeyService on this node's changes,
/// and on a timer for changes made by other nodes or the command line.
/// </summary>
internal sealed partial class KeyRingRefresher(KeyRing ring, EventBus events, ILogger<KeyRingRefresher> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ring.ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        // A team setting the ring carries (payload retention) changed here: reload now rather than on the next tick.
        using var subscription = events.Subscribe<TeamSettingsChanged>(changed => { _ = ReloadAsync(stoppingToken); });
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await ReloadAsync(stoppingToken);
    }

    private async Task ReloadAsync(CancellationToken ct)
    {
        try
        {
            await ring.ReloadAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReloadFailed(logger, ex); // keep serving the last snapshot while the database is away
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the key ring failed; the previous snapshot stays in use")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
