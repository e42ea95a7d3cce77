using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Transfers;

/// <summary>
/// Requests, approves and rejects budget transfers. Who may do what:
/// <list type="bullet">
/// <item>Request: a TeamLead for the wallets of the teams they lead (both ends, or a top-up from the unallocated
/// budget), a FinanceAdmin or Owner for any wallet.</item>
/// <item>Approve or reject: a FinanceAdmin or Owner who did not request it; above <see cref="TransferOptions.TwoApproverAbove"/>
/// two different approvers. The last approval moves the budget (<see cref="BudgetMove"/>) in the same transaction
/// that marks it approved, so two approvers clicking at once produce one approval and one move.</item>
/// </list>
/// Every action is audited, raises an alert and is published to the cluster.
/// </summary>
public sealed class TransferService(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, WalletBook book, AuditLog audit,
    TransferNews news, IOptions<TransferOptions> options, TimeProvider clock)
{
    /// <summary>Who decides transfers: Owner and FinanceAdmin.</summary>
    public static bool MayDecide(Actor actor) => actor.Role is Roles.Owner or Roles.FinanceAdmin;

    /// <summary>Who may ask at all (the wallets they may ask for are checked per request).</summary>
    public static bool MayRequest(Actor actor) => actor.Role is Roles.Owner or Roles.FinanceAdmin or Roles.TeamLead;

    public async Task<Outcome<Transfer>> RequestAsync(Actor actor, TransferForm form, CancellationToken ct = default)
    {
        if (!MayRequest(actor)) return Outcome.Fail<Transfer>("Only a team lead (for their teams' wallets), a FinanceAdmin or an Owner can request a transfer.");
        var now = clock.GetUtcNow().UtcDateTime;
        if (form.Problem(now) is { } problem) return Outcome.Fail<Transfer>(problem);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var to = await db.Wallets.AsNoTracking().FirstOrDefaultAsync(w => w.Id == form.ToWalletId, ct);
        if (to is null) return Outcome.Fail<Transfer>("That wallet does not exist.");
        if (to.OwnerKind == WalletOwners.Organization) return Outcome.Fail<Transfer>("The organisation's budget is where top-ups come from; choose a team, project or key wallet.");
        if (to.Limit is null) return Outcome.Fail<Transfer>($"'{to.Name}' has no limit, so there is nothing to raise.");
        Wallet? from = null;
        if (form.FromWalletId is { } fromId)
        {
            from = await db.Wallets.AsNoTracking().FirstOrDefaultAsync(w => w.Id == fromId, ct);
            if (from is null) return Outcome.Fail<Transfer>("The source wallet does not exist.");
            if (from.Limit is null) return Outcome.Fail<Transfer>($"'{from.Name}' has no limit to give from; ask for a top-up from the unallocated budget instead.");
        }
        if (!MayDecide(actor))
        {
            var scope = await teams.ManagedByAsync(actor, ct);
            foreach (var wallet in new[] { to, from }.OfType<Wallet>())
                if (await TeamOfAsync(db, wallet, ct) is not { } team || !scope.Includes(team))
                    return Outcome.Fail<Transfer>($"You can request transfers only for the wallets of teams you lead; '{wallet.Name}' is not one of them.");
        }

        var transfer = new Transfer
        {
            Id = Guid.CreateVersion7(), FromWalletId = from?.Id, ToWalletId = to.Id, Amount = form.Amount, Reason = form.Reason.Trim(),
            GrantExpiresAt = form.GrantExpiresAt?.ToUniversalTime(), RequestedById = actor.UserId, RequestedBy = actor.Name, State = TransferStates.Pending,
            ApprovalsNeeded = form.Amount > options.Value.TwoApproverAbove ? 2 : 1, RequestedAt = now, PendingUntil = now + options.Value.PendingFor,
        };
        db.Transfers.Add(transfer);
        await audit.SaveAsync(db, actor.Name, "transfer.requested", $"transfer:{transfer.Id}",
            $"{transfer.Amount:0.00} USD from {from?.Name ?? "unallocated budget"} to {to.Name}{(transfer.GrantExpiresAt is { } e ? $" until {e:yyyy-MM-dd HH:mm} UTC" : "")}"
            + $", {transfer.ApprovalsNeeded} approval(s) needed: {transfer.Reason}", ct);
        await news.TellAsync(transfer, TransferNews.Requested, actor.Name, null, ct);
        return transfer;
    }

    public Task<Outcome<Transfer>> ApproveAsync(Actor actor, Guid transferId, string? comment, CancellationToken ct = default) =>
        DecideAsync(actor, transferId, TransferVerdicts.Approved, comment, ct);

    public Task<Outcome<Transfer>> RejectAsync(Actor actor, Guid transferId, string? comment, CancellationToken ct = default) =>
        string.IsNullOrWhiteSpace(comment)
            ? Task.FromResult(Outcome.Fail<Transfer>("Say why it is rejected: the requester reads the comment."))
            : DecideAsync(actor, transferId, TransferVerdicts.Rejected, comment, ct);

    private async Task<Outcome<Transfer>> DecideAsync(Actor actor, Guid transferId, string verdict, string? comment, CancellationToken ct)
    {
        if (!MayDecide(actor)) return Outcome.Fail<Transfer>("Only a FinanceAdmin or an Owner can approve or reject transfers.");
        comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        if (comment?.Length > TransferForm.MaxReasonLength) return Outcome.Fail<Transfer>($"A comment is at most {TransferForm.MaxReasonLength} characters.");

        // A decision that lost a race re-reads and decides again on what is there now (e.g. the second of two
        // approvers who clicked together becomes the second approval); a handful of rounds settles any race.
        for (var round = 0; round < 5; round++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = clock.GetUtcNow().UtcDateTime;
            var transfer = await db.Transfers.AsNoTracking().Include(t => t.Decisions).FirstOrDefaultAsync(t => t.Id == transferId, ct);
            if (transfer is null) return Outcome.Fail<Transfer>("No such transfer.");
            if (transfer.State != TransferStates.Pending)
                return Outcome.Fail<Transfer>($"This transfer is already {transfer.State.ToLowerInvariant()}{DecidedBy(transfer)}.");
            if (now >= transfer.PendingUntil) return Outcome.Fail<Transfer>("This request has expired; ask for a new one.");
            if (IsRequester(actor, transfer)) return Outcome.Fail<Transfer>("You requested this transfer: someone else must decide it.");
            if (transfer.Decisions.Any(d => d.Approver == actor.Name))
                return Outcome.Fail<Transfer>("You already approved it; it needs a second, different approver.");

            var approvals = transfer.Decisions.Count(d => d.Verdict == TransferVerdicts.Approved);
            var final = verdict == TransferVerdicts.Rejected || approvals + 1 >= transfer.ApprovalsNeeded;
            var state = verdict == TransferVerdicts.Rejected ? TransferStates.Rejected : final ? TransferStates.Approved : TransferStates.Pending;

            var moved = state == TransferStates.Approved;
            var action = verdict == TransferVerdicts.Rejected ? "transfer.rejected" : moved ? "transfer.approved" : "transfer.approval_recorded";
            var names = await news.NamesAsync(transfer, ct);
            var details = $"{transfer.Amount:0.00} USD from {names.From} to {names.To}"
                + (moved ? " moved" : verdict == TransferVerdicts.Approved ? $", approval {approvals + 1} of {transfer.ApprovalsNeeded}" : "")
                + (comment is null ? "" : $": {comment}");

            // One transaction for the decision, the money and the audit entry: they land together or not at all.
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // The chain lock first, then the transfer row and the wallets: the lock order of every audited money path.
            await AuditLog.LockChainAsync(db, ct);
            // Claims the request at the version read: of two deciders racing, the second finds no row and goes round again.
            var claimed = await db.Transfers.Where(t => t.Id == transferId && t.State == TransferStates.Pending && t.Version == transfer.Version)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.Version, t => t.Version + 1).SetProperty(t => t.State, state)
                    .SetProperty(t => t.DecidedAt, final ? now : (DateTime?)null), ct);
            if (claimed == 0)
            {
                await transaction.RollbackAsync(ct);
                continue;
            }
            if (moved && await BudgetMove.MoveAsync(db, transfer.FromWalletId, transfer.ToWalletId, transfer.Amount, now, $"transfer {transfer.Id:N}", ct) is { } refused)
            {
                await transaction.RollbackAsync(ct); // nothing recorded: the request stays pending and can be approved once there is money
                return Outcome.Fail<Transfer>(refused);
            }
            db.TransferApprovals.Add(new TransferApproval
            {
                Id = Guid.CreateVersion7(), TransferId = transferId, ApproverId = actor.UserId, Approver = actor.Name, Verdict = verdict, Comment = comment, At = now,
            });
            await audit.AppendAsync(db, actor.Name, action, $"transfer:{transfer.Id}", details, ct);
            await transaction.CommitAsync(ct);

            transfer.State = state;
            transfer.Version++;
            if (final) transfer.DecidedAt = now;
            if (moved) await book.ReloadAsync(ct);
            if (final) await news.TellAsync(transfer, moved ? TransferNews.Approved : TransferNews.Rejected, actor.Name, comment, ct);
            else news.Publish(transfer, movedBudget: false);
            return transfer;
        }
        return Outcome.Fail<Transfer>("The transfer kept changing while it was being decided; reload it and try again.");
    }

    private static bool IsRequester(Actor actor, Transfer transfer) =>
        (actor.UserId is { } id && transfer.RequestedById == id) || string.Equals(actor.Name, transfer.RequestedBy, StringComparison.OrdinalIgnoreCase);

    private static string DecidedBy(Transfer transfer) =>
        transfer.Decisions.Where(d => d.Verdict == TransferVerdicts.Rejected || transfer.State == TransferStates.Approved).Select(d => d.Approver).ToList() is { Count: > 0 } by
            ? $" (by {string.Join(" and ", by)})" : "";

    /// <summary>The team a wallet belongs to (a key's or project's team); null for the organisation's.</summary>
    internal static async Task<Guid?> TeamOfAsync(ControlPlaneDb db, Wallet wallet, CancellationToken ct) => wallet.OwnerKind switch
    {
        WalletOwners.Team => wallet.OwnerId,
        WalletOwners.Project => await db.Projects.AsNoTracking().Where(p => p.Id == wallet.OwnerId).Select(p => (Guid?)p.TeamId).FirstOrDefaultAsync(ct),
        WalletOwners.Key => await db.ApiKeys.AsNoTracking().Where(k => k.Id == wallet.OwnerId).Select(k => (Guid?)k.TeamId).FirstOrDefaultAsync(ct),
        _ => null,
    };
}
