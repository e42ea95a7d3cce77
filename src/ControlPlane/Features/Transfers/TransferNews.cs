using System.Globalization;
using ControlPlane.Features.Notifications;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Transfers;

/// <summary>
/// Tells people and pages what happened to a transfer: an alert (transfer.requested / approved / rejected / expired,
/// with a link to the request and its numbers as facts) and a <see cref="TransferChanged"/> on the event bus, which the
/// cluster bus carries to the other nodes.
/// </summary>
public sealed class TransferNews(IDbContextFactory<ControlPlaneDb> dbFactory, IAlerts alerts, EventBus events)
{
    public const string Requested = AlertKinds.TransferRequested;
    public const string Approved = AlertKinds.TransferApproved;
    public const string Rejected = AlertKinds.TransferRejected;
    public const string Expired = AlertKinds.TransferExpired;

    /// <summary>The wallet names at both ends ("unallocated budget" for a top-up) and the destination's team.</summary>
    public async Task<(string From, string To, Guid? Team)> NamesAsync(Transfer transfer, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var wallets = await db.Wallets.AsNoTracking().Where(w => w.Id == transfer.ToWalletId || w.Id == transfer.FromWalletId).ToListAsync(ct);
        var to = wallets.FirstOrDefault(w => w.Id == transfer.ToWalletId);
        var from = wallets.FirstOrDefault(w => w.Id == transfer.FromWalletId);
        var team = to is null ? null : await TransferService.TeamOfAsync(db, to, ct);
        return (from?.Name ?? "unallocated budget", to?.Name ?? "a removed wallet", team);
    }

    /// <summary>Raises the alert of <paramref name="kind"/> and publishes the change.</summary>
    public async Task TellAsync(Transfer transfer, string kind, string by, string? comment, CancellationToken ct)
    {
        Publish(transfer, movedBudget: kind == Approved);
        var (from, to, team) = await NamesAsync(transfer, ct);
        var amount = transfer.Amount.ToString("0.00", CultureInfo.InvariantCulture);
        var (subject, severity) = kind switch
        {
            Requested => ($"Budget transfer requested: {amount} USD to {to}", AlertSeverity.Info),
            Approved => ($"Budget transfer approved: {amount} USD to {to}", AlertSeverity.Info),
            Rejected => ($"Budget transfer rejected: {amount} USD to {to}", AlertSeverity.Warning),
            _ => ($"Budget transfer expired undecided: {amount} USD to {to}", AlertSeverity.Warning),
        };
        var body = $"{amount} USD from {from} to {to}.\nReason: {transfer.Reason}\n"
            + (kind == Requested ? $"Requested by {by}; {transfer.ApprovalsNeeded} approval(s) needed by {transfer.PendingUntil:yyyy-MM-dd HH:mm} UTC." : $"By {by}.")
            + (comment is null ? "" : $"\nComment: {comment}");
        var facts = new Dictionary<string, string>
        {
            ["TransferId"] = transfer.Id.ToString(),
            ["Amount"] = amount,
            ["From"] = from,
            ["To"] = to,
            ["State"] = transfer.State,
            ["RequestedBy"] = transfer.RequestedBy,
        };
        if (comment is not null) facts["Comment"] = comment;
        await alerts.RaiseAsync(new Alert(kind, subject, body, severity, team, transfer.ToWalletId, $"/transfers?id={transfer.Id}",
            $"transfer:{transfer.Id}:{kind}", facts), ct);
    }

    public void Publish(Transfer transfer, bool movedBudget) => events.Publish(new TransferChanged(transfer.Id, transfer.State, movedBudget));
}
