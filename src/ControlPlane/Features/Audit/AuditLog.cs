using System.Security.Cryptography;
using System.Text;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Audit;

/// <summary>Appends admin actions to the hash chain, in the caller's transaction.</summary>
public sealed class AuditLog(TimeProvider clock)
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

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
    /// action and its entry land or fail as one. Appends are serialized (an advisory lock on PostgreSQL, an application
    /// lock on SQL Server, SQLite's single writer), so the entry always chains onto the true head and concurrent writers never collide.
    /// </summary>
    public async Task SaveAsync(ControlPlaneDb db, string actor, string action, string target, string details, CancellationToken ct = default)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (db.Database.IsNpgsql())
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({ChainLock})", ct);
            else if (db.Database.IsSqlServer())
                await db.Database.ExecuteSqlRawAsync(SqlServerChainLock, ct);
            var head = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence)
                .Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(ct);
            var (sequence, previous) = head is null ? (1L, GenesisHash) : (head.Sequence + 1, head.Hash);
            // Whole microseconds: the finest time PostgreSQL keeps, so the hash still holds after a round trip.
            var now = clock.GetUtcNow().UtcDateTime;
            var at = now.AddTicks(-(now.Ticks % 10));
            db.AuditEntries.Add(new AuditEntry
            {
                Sequence = sequence, At = at, Actor = actor, Action = action, Target = target, Details = details,
                PreviousHash = previous, Hash = HashOf(sequence, at, actor, action, target, details, previous),
            });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        });
    }

    /// <summary>Walks the chain from the start; returns the first sequence whose hash does not hold, or null.</summary>
    public static async Task<long?> FindFirstBrokenLinkAsync(ControlPlaneDb db, CancellationToken ct = default)
    {
        var previous = GenesisHash;
        await foreach (var e in db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (e.PreviousHash != previous || e.Hash != HashOf(e.Sequence, e.At, e.Actor, e.Action, e.Target, e.Details, e.PreviousHash))
                return e.Sequence;
            previous = e.Hash;
        }
        return null;
    }

    internal static string HashOf(long sequence, DateTime at, string actor, string action, string target, string details, string previous)
    {
        // Unit separators keep field boundaries unambiguous; time at microsecond precision survives every provider.
        var canonical = string.Join('\u001f', sequence, at.ToString("yyyy-MM-ddTHH:mm:ss.ffffff"), actor, action, target, details, previous);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
