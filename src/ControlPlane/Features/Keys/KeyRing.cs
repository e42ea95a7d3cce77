using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

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
/// how a key revoked on another node reaches this one. A key the snapshot does not hold yet (made a moment ago by
/// the command line or another node) is looked up in the database by its hash, once, and added; a hash the
/// database does not know either is remembered as unknown for <see cref="UnknownFor"/>, so a stream of calls with a
/// wrong key costs the database one query per distinct key every few seconds, not one per call.
/// </summary>
public sealed partial class KeyRing(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock, ILogger<KeyRing> logger)
{
    /// <summary>How long a hash the database did not know is answered "unknown" without asking again.</summary>
    public static readonly TimeSpan UnknownFor = TimeSpan.FromSeconds(3);
    /// <summary>At most this many unknown hashes are remembered; beyond it the expired ones go, or all of them.</summary>
    internal const int MaxUnknown = 10_000;

    private volatile Dictionary<string, KeyEntry> _byHash = new(StringComparer.Ordinal);
    private readonly Lock _addLock = new();
    private readonly ConcurrentDictionary<string, long> _unknownUntil = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<KeyEntry?>> _lookingUp = new(StringComparer.Ordinal);
    private long _reloadsStarted;
    private long _databaseLookups;

    public int Count => _byHash.Count;

    /// <summary>How many times a snapshot miss went to the database (a counter for tests and diagnostics).</summary>
    public long DatabaseLookups => Interlocked.Read(ref _databaseLookups);

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        Interlocked.Increment(ref _reloadsStarted);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await Entries(db).ToListAsync(ct);
        _byHash = keys.ToDictionary(k => k.Hash, k => k.Entry, StringComparer.Ordinal);
    }

    private static IQueryable<HashedEntry> Entries(ControlPlaneDb db, string? hash = null) =>
        from k in hash is null ? db.ApiKeys.AsNoTracking() : db.ApiKeys.AsNoTracking().Where(k => k.Hash == hash)
        join t in db.Teams.AsNoTracking() on k.TeamId equals t.Id
        select new HashedEntry(k.Hash, new KeyEntry(k.Id, k.TeamId, k.Prefix, k.Name, k.ExpiresAt, k.RevokedAt, t.KeepPayloadsDays,
            k.RequestsPerMinute, k.TokensPerMinute, k.CallerCeilingCalls, k.ProjectId));

    private sealed record HashedEntry(string Hash, KeyEntry Entry);

    /// <summary>Finds the key whose plaintext was presented in the snapshot only; no allocation on the way.</summary>
    public bool TryFind(ReadOnlySpan<char> presented, out KeyEntry entry)
    {
        entry = default!;
        if (presented.Length is 0 or > 256) return false;
        Span<char> hex = stackalloc char[SHA256.HashSizeInBytes * 2];
        HashHex(presented, hex);
        return _byHash.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(hex, out entry!);
    }

    /// <summary>
    /// Finds the key whose plaintext was presented: from the snapshot (synchronously, no allocation), else from the
    /// database by its hash (one query, shared by concurrent callers with the same key), unless that hash was
    /// unknown a moment ago. Null: no such key. The entry carries revocation and expiry; the caller refuses those.
    /// </summary>
    public ValueTask<KeyEntry?> FindAsync(ReadOnlySpan<char> presented, CancellationToken ct = default)
    {
        if (presented.Length is 0 or > 256) return ValueTask.FromResult<KeyEntry?>(null);
        Span<char> hex = stackalloc char[SHA256.HashSizeInBytes * 2];
        HashHex(presented, hex);
        if (_byHash.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(hex, out var entry))
            return ValueTask.FromResult<KeyEntry?>(entry);
        var hash = new string(hex);
        if (_unknownUntil.TryGetValue(hash, out var until) && clock.GetTimestamp() < until)
            return ValueTask.FromResult<KeyEntry?>(null);
        return new ValueTask<KeyEntry?>(LookUpSharedAsync(hash).WaitAsync(ct));
    }

    /// <summary>One database query per hash at a time, whoever else asks for it meanwhile.</summary>
    private Task<KeyEntry?> LookUpSharedAsync(string hash)
    {
        var mine = new TaskCompletionSource<KeyEntry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _lookingUp.GetOrAdd(hash, mine.Task);
        if (running != mine.Task) return running;
        _ = CompleteAsync();
        return mine.Task;

        async Task CompleteAsync()
        {
            try
            {
                mine.SetResult(await LookUpAsync(hash));
            }
            catch (Exception ex)
            {
                mine.SetException(ex);
            }
            finally
            {
                _lookingUp.TryRemove(KeyValuePair.Create(hash, mine.Task));
            }
        }
    }

    private async Task<KeyEntry?> LookUpAsync(string hash)
    {
        var reloadsBefore = Interlocked.Read(ref _reloadsStarted);
        Interlocked.Increment(ref _databaseLookups);
        KeyEntry? found;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            found = (await Entries(db, hash).FirstOrDefaultAsync())?.Entry;
        }
        catch (Exception ex)
        {
            // The database is away: the key is refused as unknown (and not asked about again for a moment).
            LogLookupFailed(logger, ex);
            found = null;
        }
        if (found is null)
        {
            RememberUnknown(hash);
            return null;
        }
        lock (_addLock)
        {
            // A reload that started after this query read state at least as new as ours: its snapshot wins.
            if (Interlocked.Read(ref _reloadsStarted) == reloadsBefore && !_byHash.ContainsKey(hash))
                _byHash = new Dictionary<string, KeyEntry>(_byHash, StringComparer.Ordinal) { [hash] = found };
        }
        return found;
    }

    private void RememberUnknown(string hash)
    {
        var now = clock.GetTimestamp();
        if (_unknownUntil.Count >= MaxUnknown)
        {
            foreach (var (h, until) in _unknownUntil)
                if (until <= now) _unknownUntil.TryRemove(KeyValuePair.Create(h, until));
            if (_unknownUntil.Count >= MaxUnknown) _unknownUntil.Clear();
        }
        _unknownUntil[hash] = now + (long)(UnknownFor.TotalSeconds * clock.TimestampFrequency);
    }

    private static void HashHex(ReadOnlySpan<char> presented, Span<char> hex)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        var length = Encoding.UTF8.GetBytes(presented, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        Convert.TryToHexStringLower(hash, hex, out _);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking a key up in the database failed; it is refused as unknown")]
    private static partial void LogLookupFailed(ILogger logger, Exception exception);
}

/// <summary>
/// Keeps the key ring fresh: loaded before the app takes requests, reloaded by KeyService on this node's changes,
/// on a <see cref="KeysChanged"/> (another node's, carried by the cluster bus within a second, or this node's own,
/// which reloads it once more), and every <see cref="KeysOptions.RefreshSeconds"/> as the safety net for changes the
/// bus did not carry: the command line's, or those made while the channel between nodes was down (a key made there is
/// found at once by <see cref="KeyRing.FindAsync"/>; a revocation there waits for this).
/// </summary>
internal sealed class KeyRingRefresher(KeyRing ring, EventBus events, IOptions<KeysOptions> options, ILogger<KeyRingRefresher> logger)
    : SnapshotRefresher(logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.RefreshSeconds);
    protected override string Snapshot => "the key ring";

    protected override Task ReloadAsync(CancellationToken ct) => ring.ReloadAsync(ct);

    protected override IEnumerable<IDisposable> SubscribeToChanges(CancellationToken stoppingToken) =>
    [
        // A team setting the ring carries (payload retention) changed here: reload now rather than on the next tick.
        events.Subscribe<TeamSettingsChanged>(_ => ReloadSoon(stoppingToken)),
        events.Subscribe<KeysChanged>(_ => ReloadSoon(stoppingToken)),
    ];
}
