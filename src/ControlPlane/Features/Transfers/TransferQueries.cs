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

/// <summary>History's filters (all optional): a state, a wallet at either end, a window of request times (UTC), who asked.</summary>
public sealed record TransferFilter(string? State = null, Guid? WalletId = null, DateTime? From = null, DateTime? To = null, string? Requester = null);

/// <summary>Where a history page ends: the last row's request time and id (newest first), to read the next page after it.</summary>
public sealed record TransferCursor(DateTime RequestedAt, Guid Id)
{
    /// <summary>"ticks-id": short enough for a URL, exact to the tick.</summary>
    public override string ToString() => $"{RequestedAt.Ticks}-{Id:N}";

    public static TransferCursor? Parse(string? text) =>
        text?.Split('-') is [var ticks, var id] && long.TryParse(ticks, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var t)
            && t is >= 0 and <= 3155378975999999999 && Guid.TryParseExact(id, "N", out var g)
            ? new TransferCursor(new DateTime(t, DateTimeKind.Utc), g) : null;
}

/// <summary>One page of history and the cursor of the next (null on the last page).</summary>
public sealed record TransferPage(IReadOnlyList<TransferRow> Rows, TransferCursor? Next);

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

        return await RowsAsync(db, [.. rows.Take(MaxRows)], ct);
    }

    /// <summary>
    /// History a page at a time, newest first, keyset-paged on (requested at, id): each page starts after the last
    /// row of the one before, so paging stays fast and stable however long the history grows (no OFFSET). Only
    /// transfers touching a wallet the reader may see.
    /// </summary>
    public async Task<TransferPage> HistoryAsync(Actor actor, TransferFilter filter, TransferCursor? after, int pageSize = 50, CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxRows);
        var visible = (await wallets.OverviewAsync(actor, ct)).Wallets.Select(w => w.Id).ToList();
        if (visible.Count == 0) return new([], null);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Transfers.AsNoTracking().Include(t => t.Decisions)
            .Where(t => visible.Contains(t.ToWalletId) || (t.FromWalletId != null && visible.Contains(t.FromWalletId.Value)));
        if (filter.State is { Length: > 0 } state) query = query.Where(t => t.State == state);
        if (filter.WalletId is { } wallet) query = query.Where(t => t.ToWalletId == wallet || t.FromWalletId == wallet);
        // Times are UTC (a date picked on the page or read from the URL comes without a kind).
        if (filter.From is { } f) { var from = DateTime.SpecifyKind(f, DateTimeKind.Utc); query = query.Where(t => t.RequestedAt >= from); }
        if (filter.To is { } u) { var to = DateTime.SpecifyKind(u, DateTimeKind.Utc); query = query.Where(t => t.RequestedAt < to); }
        if (filter.Requester?.Trim() is { Length: > 0 } requester) query = query.Where(t => t.RequestedBy == requester);
        if (after is { } c) query = query.Where(t => t.RequestedAt < c.RequestedAt || (t.RequestedAt == c.RequestedAt && t.Id.CompareTo(c.Id) < 0));
        var rows = await query.OrderByDescending(t => t.RequestedAt).ThenByDescending(t => t.Id).Take(pageSize + 1).ToListAsync(ct);
        var next = rows.Count > pageSize ? new TransferCursor(rows[pageSize - 1].RequestedAt, rows[pageSize - 1].Id) : null;
        return new(await RowsAsync(db, [.. rows.Take(pageSize)], ct), next);
    }

    private static async Task<IReadOnlyList<TransferRow>> RowsAsync(ControlPlaneDb db, List<Transfer> rows, CancellationToken ct)
    {
        var ids = rows.SelectMany(t => new[] { (Guid?)t.ToWalletId, t.FromWalletId }).OfType<Guid>().Distinct().ToList();
        var names = await db.Wallets.AsNoTracking().Where(w => ids.Contains(w.Id)).ToDictionaryAsync(w => w.Id, w => w.Name, ct);
        return [.. rows.Select(t => new TransferRow(t.Id, t.FromWalletId, t.FromWalletId is { } f ? names.GetValueOrDefault(f, "a removed wallet") : "Unallocated budget",
            t.ToWalletId, names.GetValueOrDefault(t.ToWalletId, "a removed wallet"), t.Amount, t.Reason, t.State, t.RequestedBy, t.RequestedAt, t.PendingUntil,
            t.ApprovalsNeeded, t.GrantExpiresAt, t.ReturnedAmount,
            [.. t.Decisions.OrderBy(d => d.At).Select(d => new TransferDecisionRow(d.Approver, d.Verdict, d.Comment, d.At))]))];
    }
}
