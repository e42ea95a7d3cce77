using ControlPlane.Features.People;
using ControlPlane.Features.Transfers;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Features.Demo;

/// <summary>
/// The demo's budget transfers, one of each outcome a reader meets first: Research waiting for a top-up, Platform
/// given 5 USD of Mobile's budget (the limits moved and the ledger written, as an approval does), and a rejected
/// top-up of Sales. Runs on the wallets <see cref="DemoWallets"/> just added (not yet saved).
/// </summary>
internal static class DemoTransfers
{
    public static void Seed(ControlPlaneDb db, IReadOnlyDictionary<string, User> users, DateTime now)
    {
        var wallets = db.Wallets.Local.ToDictionary(w => w.Name);
        var (research, platform, mobile, sales) = (wallets["Team Research"], wallets["Team Platform"], wallets["Team Mobile"], wallets["Team Sales"]);

        Transfer Add(Wallet? from, Wallet to, decimal amount, string reason, User by, DateTime at, string state)
        {
            var transfer = new Transfer
            {
                Id = Guid.CreateVersion7(), FromWalletId = from?.Id, ToWalletId = to.Id, Amount = amount, Reason = reason, RequestedById = by.Id,
                RequestedBy = by.Email, State = state, ApprovalsNeeded = 1, RequestedAt = at, PendingUntil = at.AddHours(48),
                DecidedAt = state == TransferStates.Pending ? null : at.AddHours(2),
            };
            db.Transfers.Add(transfer);
            return transfer;
        }

        void Decide(Transfer transfer, User by, string verdict, string comment) => db.TransferApprovals.Add(new TransferApproval
        {
            Id = Guid.CreateVersion7(), TransferId = transfer.Id, ApproverId = by.Id, Approver = by.Email, Verdict = verdict, Comment = comment, At = transfer.DecidedAt!.Value,
        });

        var rita = users["rita.research@acme.test"];
        var leo = users["leo.lead@acme.test"];
        var fiona = users["fiona.finance@acme.test"];
        var olivia = users["olivia.owner@acme.test"];

        Add(null, research, 10m, "A week of evaluation runs for the new retrieval model", rita, now.AddHours(-3), TransferStates.Pending);

        var moved = Add(mobile, platform, 5m, "Load test of the new gateway before the launch; Mobile is under budget", leo, now.AddDays(-4), TransferStates.Approved);
        Decide(moved, fiona, TransferVerdicts.Approved, "Fine, Mobile has room this month");
        mobile.Limit -= 5m;
        platform.Limit += 5m;
        Ledger.AddTransfer(db, moved.DecidedAt!.Value, LedgerKinds.Transfer, platform.Id, LedgerAccounts.Budget, mobile.Id, LedgerAccounts.Budget, 5m, note: $"transfer {moved.Id:N}");

        var refused = Add(null, sales, 20m, "Demo day for a prospect", fiona, now.AddDays(-2), TransferStates.Rejected);
        Decide(refused, olivia, TransferVerdicts.Rejected, "Use the warn-only budget; it is not blocked");
    }
}
