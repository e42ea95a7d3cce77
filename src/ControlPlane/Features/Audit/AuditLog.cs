using System.Security.Cryptography;
using System.Text;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Audit;

/// <summary>Appends admin actions to the hash chain, in the caller's transaction.</summary>
public sealed class AuditLog(TimeProvider clock)
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// Adds the entry to <paramref name="db"/> without saving: the caller saves it together with the change it
    /// records, so an action and its audit entry land or fail as one. A concurrent append elsewhere makes that
    /// save fail on the sequence key; <see cref="SaveWithRetryAsync"/> handles that.
    /// </summary>
    public async Task<AuditEntry> AppendAsync(ControlPlaneDb db, string actor, string action, string target, string details, CancellationToken ct = default)
    {
        var head = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence)
            .Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(ct);
        // Entries added but not yet saved in this context extend the chain too.
        var pending = db.ChangeTracker.Entries<AuditEntry>().Where(e => e.State == EntityState.Added)
            .Select(e => e.Entity).OrderByDescending(e => e.Sequence).FirstOrDefault();

        var (sequence, previous) = pending is not null ? (pending.Sequence + 1, pending.Hash)
            : head is not null ? (head.Sequence + 1, head.Hash)
            : (1L, GenesisHash);
        // Whole microseconds: the finest time PostgreSQL keeps, so the hash still holds after a round trip.
        var now = clock.GetUtcNow().UtcDateTime;
        var at = now.AddTicks(-(now.Ticks % 10));
        var entry = new AuditEntry
        {
            Sequence = sequence, At = at, Actor = actor, Action = action, Target = target,
            Details = details, PreviousHash = previous, Hash = HashOf(sequence, at, actor, action, target, details, previous),
        };
        db.AuditEntries.Add(entry);
        return entry;
    }

    /// <summary>
    /// Saves the change and its audit entries; when another writer took the same sequence first, re-reads the
    /// head, re-chains this context's entries and tries again.
    /// </summary>
    public async Task SaveWithRetryAsync(ControlPlaneDb db, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException) when (attempt < 5 && db.ChangeTracker.Entries<AuditEntry>().Any(e => e.State == EntityState.Added))
            {
                var added = db.ChangeTracker.Entries<AuditEntry>().Where(e => e.State == EntityState.Added)
                    .Select(e => e.Entity).OrderBy(e => e.Sequence).ToList();
                foreach (var entry in added) db.Entry(entry).State = EntityState.Detached;
                foreach (var entry in added)
                    await AppendAsync(db, entry.Actor, entry.Action, entry.Target, entry.Details, ct);
            }
        }
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
