using System.Security.Cryptography;
using System.Text;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Audit;

/// <summary>Appends admin actions to the keyed hash chain, in the caller's transaction, and verifies the chain.</summary>
public sealed class AuditLog(TimeProvider clock, AuditChainKeys keys, AuditAnchors anchors)
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The hash input new entries are made with: 2 covers before and after (docs/audit-verify.md).</summary>
    public const int CurrentHashVersion = 2;

    /// <summary>Postgres advisory lock key that serializes appends to the chain across nodes.</summary>
    private const long ChainLock = 0x4350_4155_4449_54; // "CPAUDIT"

    /// <summary>
    /// The same lock on SQL Server: an exclusive application lock owned by the transaction (released at commit or
    /// rollback). sp_getapplock returns a negative code when the lock is not granted (deadlock victim, cancelled):
    /// the append must not go on unserialized, so that raises an error and the transaction rolls back.
    /// </summary>
    internal const string SqlServerChainLock = """
        DECLARE @granted int;
        EXEC @granted = sp_getapplock @Resource = N'controlplane.audit-chain', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = -1;
        IF @granted < 0 THROW 50000, N'The audit chain lock was not granted.', 1;
        """;

    /// <summary>
    /// Saves the caller's pending changes together with one audit entry recording them, in one transaction: an
    /// action and its entry land or fail as one. The entry carries the changed entities' state before and after (read
    /// from the change tracker, secrets redacted: <see cref="AuditChanges"/>), covered by its hash. Appends are serialized (an advisory lock on PostgreSQL, an application
    /// lock on SQL Server, SQLite's single writer), so the entry always chains onto the true head and concurrent writers never collide.
    /// </summary>
    public async Task SaveAsync(ControlPlaneDb db, string actor, string action, string target, string details, CancellationToken ct = default)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await AppendAsync(db, actor, action, target, details, ct);
            await transaction.CommitAsync(ct);
        });
    }

    /// <summary>
    /// Takes the chain lock in the caller's open transaction (held until it commits or rolls back). A path that moves
    /// money and audits it takes this lock FIRST, before any wallet row: one lock order (chain, then wallets) everywhere,
    /// so an audited money move and any other audited action can never deadlock. Taking it again is harmless (re-entrant).
    /// </summary>
    public static async Task LockChainAsync(ControlPlaneDb db, CancellationToken ct = default)
    {
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("The audit chain lock is taken inside the caller's transaction; begin one first.");
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({ChainLock})", ct);
        else if (db.Database.IsSqlServer())
            await db.Database.ExecuteSqlRawAsync(SqlServerChainLock, ct);
        // SQLite: the transaction already holds the single writer lock (Microsoft.Data.Sqlite begins IMMEDIATE).
    }

    /// <summary>
    /// Saves the caller's pending changes and appends their audit entry inside the caller's open transaction, so the
    /// entry commits or rolls back with the action (e.g. a budget move): a crash between them cannot lose the entry.
    /// The caller commits. Takes the chain lock if the caller has not (callers that lock wallets take it before them).
    /// </summary>
    public async Task AppendAsync(ControlPlaneDb db, string actor, string action, string target, string details, CancellationToken ct = default)
    {
        await LockChainAsync(db, ct);
        // The action's own changes first, so that the "after" holds the keys the database gave them.
        var changes = AuditChanges.Capture(db);
        if (changes.Any) await db.SaveChangesAsync(ct);
        var (before, after) = changes.Describe();
        var head = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence)
            .Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(ct);
        var (sequence, previous) = head is null ? (1L, GenesisHash) : (head.Sequence + 1, head.Hash);
        // Whole microseconds: the finest time PostgreSQL keeps, so the hash still holds after a round trip.
        var now = clock.GetUtcNow().UtcDateTime;
        var at = now.AddTicks(-(now.Ticks % 10));
        var entry = new AuditEntry
        {
            Sequence = sequence, At = at, Actor = actor, Action = action, Target = target, Details = details,
            PreviousHash = previous, KeyId = keys.CurrentId, HashVersion = CurrentHashVersion, Before = before, After = after, Hash = "",
        };
        entry.Hash = HashOf(keys.Current, entry);
        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Verifies the chain against the anchors in the anchor file (see <see cref="AuditAnchors"/>).</summary>
    public async Task<ChainVerdict> VerifyAsync(ControlPlaneDb db, CancellationToken ct = default) =>
        await VerifyAsync(db, await anchors.ReadAsync(ct), ct);

    /// <summary>
    /// Walks the chain from the start and compares it with the anchors exported outside the database. Entries from
    /// before the chain was keyed (no key id) are accepted only as its beginning; every later entry must carry a valid
    /// HMAC under a known key. Truncation shows as an anchor beyond the head.
    /// </summary>
    public async Task<ChainVerdict> VerifyAsync(ControlPlaneDb db, IReadOnlyList<AuditAnchor> anchors, CancellationToken ct = default)
    {
        var previous = GenesisHash;
        var keyed = false;
        var version = 1;
        var count = 0L;
        var hashes = anchors.Count == 0 ? null : new Dictionary<long, string>();
        await foreach (var e in db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (e.PreviousHash != previous)
                return ChainVerdict.Broken(count, e.Sequence, $"Entry #{e.Sequence} does not follow the one before it (an entry was removed or reordered).");
            if (e.KeyId is null && keyed)
                return ChainVerdict.Broken(count, e.Sequence, $"Entry #{e.Sequence} is unkeyed after keyed entries (written without the chain key).");
            if (e.HashVersion < version || e.HashVersion is < 1 or > CurrentHashVersion || e.HashVersion == 1 && (e.Before ?? e.After) is not null)
                return ChainVerdict.Broken(count, e.Sequence, $"Entry #{e.Sequence} claims hash version {e.HashVersion}, which its place in the chain or its fields rule out.");
            var key = e.KeyId is null ? null : keys.Find(e.KeyId);
            if (e.KeyId is not null && key is null)
                return ChainVerdict.Broken(count, e.Sequence, $"Entry #{e.Sequence} names key '{e.KeyId}', which is not configured (KeyEncryption:PreviousCertificates holds rotated-out certificates).");
            if (e.Hash != HashOf(key, e))
                return ChainVerdict.Broken(count, e.Sequence, $"Entry #{e.Sequence} does not match its hash (edited, or re-hashed without the chain key).");
            keyed |= key is not null;
            version = e.HashVersion;
            previous = e.Hash;
            count++;
            hashes?.Add(e.Sequence, e.Hash);
        }
        foreach (var anchor in anchors.OrderBy(a => a.Sequence))
        {
            if (hashes!.TryGetValue(anchor.Sequence, out var hash))
            {
                if (hash != anchor.Hash)
                    return ChainVerdict.Broken(count, anchor.Sequence, $"Entry #{anchor.Sequence} differs from the anchor exported at {anchor.At:u} (the chain was rewritten).");
            }
            else
            {
                return ChainVerdict.Broken(count, anchor.Sequence, $"Entries up to #{anchor.Sequence} existed at {anchor.At:u} (anchor) but the chain now ends at #{count}: entries were deleted.");
            }
        }
        return ChainVerdict.Intact(count, anchors.Count);
    }

    /// <summary>An entry's hash under its own hash version (the key: null for entries from before keying).</summary>
    public static string HashOf(byte[]? key, AuditEntry e) => Hash(key, HashInput(e));

    /// <summary>
    /// The exact bytes an entry's hash covers (docs/audit-verify.md): UTF-8 of the fields joined by U+001F. Version 1:
    /// sequence, time, actor, action, target, details, previous hash. Version 2: "2" first, then the same with before
    /// and after (an absent side as the empty string) before the previous hash.
    /// </summary>
    public static byte[] HashInput(AuditEntry e) => e.HashVersion == 1
        ? Canonical(e.Sequence, At(e.At), e.Actor, e.Action, e.Target, e.Details, e.PreviousHash)
        : Canonical(e.HashVersion, e.Sequence, At(e.At), e.Actor, e.Action, e.Target, e.Details, e.Before ?? "", e.After ?? "", e.PreviousHash);

    /// <summary>Version 1's hash from its fields (entries made before before/after were kept).</summary>
    internal static string HashOf(byte[]? key, long sequence, DateTime at, string actor, string action, string target, string details, string previous) =>
        Hash(key, Canonical(sequence, At(at), actor, action, target, details, previous));

    /// <summary>Keyed entries: HMAC-SHA256 under the chain key. Entries made before the chain was keyed: SHA-256.</summary>
    private static string Hash(byte[]? key, byte[] canonical) =>
        Convert.ToHexStringLower(key is null ? SHA256.HashData(canonical) : HMACSHA256.HashData(key, canonical));

    // Unit separators keep field boundaries unambiguous; time at microsecond precision survives every provider.
    private static byte[] Canonical(params object[] fields) => Encoding.UTF8.GetBytes(string.Join('\u001f', fields));

    private static string At(DateTime at) => at.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>What verifying the chain found: intact, or the first entry that does not hold and why.</summary>
public sealed record ChainVerdict(long Entries, int AnchorsChecked, long? FirstBadSequence, string? Problem)
{
    public bool IsIntact => Problem is null;

    public static ChainVerdict Intact(long entries, int anchors) => new(entries, anchors, null, null);

    public static ChainVerdict Broken(long entries, long sequence, string problem) => new(entries, 0, sequence, problem);
}
