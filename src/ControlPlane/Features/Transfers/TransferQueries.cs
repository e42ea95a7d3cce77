using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Transfers;

/// <summary>Which list of the Transfers page: the reader's own requests, what waits for a decision, or everything.</summary>
public enum TransferView
{
    Mine,
    Queue,
    History,
}

/// <summary>History's filters (all optional): a state, a wallet at either end, a window of request times (UTC).</summary>
public sealed record TransferFilter(string? State = null, Guid? WalletId = null, DateTime? From = null, DateTime? To = null);

public sealed record TransferDecisionRow(string Approver, string Verdict, string? Comment, DateTime At);

/// <summary>One transfer as the page lists it, with both wallets' names.</summary>
public sealed record TransferRow(Guid Id, Guid? FromWalletId, string From, Guid ToWalletId, string To, decimal Amount, string Reason, string State,
    string RequestedBy, DateTime RequestedAt, DateTime PendingUntil, int ApprovalsNeeded, DateTime? GrantExpiresAt, decimal? ReturnedAmount,
    IReadOnlyList<TransferDecisionRow> Decisions)
{
    public int Approvals => Decisions.Count(d => d.Verdict == TransferVerdicts.Approved);
}

/// <summary>
/// Reads transfers for the Transfers page. Who sees what: the transfers touching a wallet the reader may see on the
/// Wallets page (<see cref="WalletQueries"/>: everything for the org-wide roles, their teams' wallets for the others);
/// the approval queue only for those who decide (<see cref="TransferService.MayDecide"/>).
/// </summary>
public sealed class TransferQueries(IDbContextFactory<ControlPlaneDb> dbFactory, WalletQueries wallets, TimeProvider clock)
{
    public const int MaxRows = 200;

    public async Task<IReadOnlyList<TransferRow>> ListAsync(Actor actor, TransferView view, TransferFilter? filter = null, CancellationToken ct = default)
    {
        if (view == TransferView.Queue && !TransferService.MayDecide(actor)) return [];
        var overview = await wallets.OverviewAsync(actor, ct);
        var visible = overview.Wallets.Select(w => w.Id).ToHashSet();
        if (visible.Count == 0 && view != TransferView.Mine) return [];
        var now = clock.GetUtcNow().UtcDateTime;
        filter ??= new TransferFilter();

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Transfers.AsNoTracking().Include(t => t.Decisions).AsQueryable();
        query = view switch
        {
            TransferView.Mine => query.Where(t => (actor.UserId != null && t.RequestedById == actor.UserId) || t.RequestedBy == actor.Name),
            TransferView.Queue => query.Where(t => t.State == TransferStates.Pending && t.PendingUntil > now),
            _ => query,
        };
        if (filter.State is { Length: > 0 } state) query = query.Where(t => t.State == state);
        if (filter.WalletId is { } wallet) query = query.Where(t => t.ToWalletId == wallet || t.FromWalletId == wallet);
        if (filter.From is { } from) query = query.Where(t => t.RequestedAt >= from);
        if (filter.To is { } to) query = query.Where(t => t.RequestedAt < to);
        var rows = await query.OrderByDescending(t => t.RequestedAt).Take(MaxRows * 2).ToListAsync(ct);
        if (view != TransferView.Mine)
            rows = [.. rows.Where(t => visible.Contains(t.ToWalletId) || (t.FromWalletId is { } f && visible.Contains(f)))];

        var ids = rows.SelectMany(t => new[] { (Guid?)t.ToWalletId, t.FromWalletId }).OfType<Guid>().Distinct().ToList();
        var names = await db.Wallets.AsNoTracking().Where(w => ids.Contains(w.Id)).ToDictionaryAsync(w => w.Id, w => w.Name, ct);
        return [.. rows.Take(MaxRows).Select(t => new TransferRow(t.Id, t.FromWalletId, t.FromWalletId is { } f ? names.GetValueOrDefault(f, "a removed wallet") : "Unallocated budget",
            t.ToWalletId, names.GetValueOrDefault(t.ToWalletId, "a removed wallet"), t.Amount, t.Reason, t.State, t.RequestedBy, t.RequestedAt, t.PendingUntil,
            t.ApprovalsNeeded, t.GrantExpiresAt, t.ReturnedAmount,
            [.. t.Decisions.OrderBy(d => d.At).Select(d => new TransferDecisionRow(d.Approver, d.Verdict, d.Comment, d.At))]))];
    }
}
