using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// Writes a batch's charges in the same transaction as its call rows: one balanced ledger transaction per call and
/// wallet (held → spent for a leased wallet, budget → spent for an unlimited one), the wallets' balances moved by the
/// batch's totals, the leases' use, and a threshold event when a wallet crosses one.
/// </summary>
internal sealed class WalletChargeHook(EventBus events) : ICallBatchHook
{
    public async Task ApplyAsync(ControlPlaneDb db, IReadOnlyList<MeteredCall> batch, CancellationToken ct)
    {
        var totals = new Dictionary<(Guid Wallet, Guid? Lease), decimal>();
        foreach (var call in batch)
        {
            foreach (var charge in call.Charges ?? [])
            {
                if (charge.Amount == 0) continue;
                var from = charge.LeaseId is null ? LedgerAccounts.Budget : LedgerAccounts.Held;
                Ledger.AddTransfer(db, call.Record.At, LedgerKinds.Charge, charge.WalletId, LedgerAccounts.Spent,
                    charge.LeaseId is null ? null : charge.WalletId, from, charge.Amount, callId: call.Record.Id, leaseId: charge.LeaseId);
                totals[(charge.WalletId, charge.LeaseId)] = totals.GetValueOrDefault((charge.WalletId, charge.LeaseId)) + charge.Amount;
            }
        }
        foreach (var ((wallet, lease), amount) in totals.OrderBy(t => t.Key.Wallet))
        {
            await Ledger.LockWalletAsync(db, wallet, ct);
            // A swept lease already gave back everything not charged by then, so its late charges only add to spend.
            if (lease is { } leaseId && await db.BudgetLeases.Where(l => l.Id == leaseId && !l.Swept)
                    .ExecuteUpdateAsync(s => s.SetProperty(l => l.Used, l => l.Used + amount), ct) == 1)
            {
                await db.Wallets.Where(w => w.Id == wallet)
                    .ExecuteUpdateAsync(s => s.SetProperty(w => w.Spent, w => w.Spent + amount).SetProperty(w => w.Leased, w => w.Leased - amount), ct);
            }
            else
            {
                await db.Wallets.Where(w => w.Id == wallet).ExecuteUpdateAsync(s => s.SetProperty(w => w.Spent, w => w.Spent + amount), ct);
            }
        }
        foreach (var wallet in totals.Keys.Select(k => k.Wallet).Distinct())
            await AnnounceThresholdsAsync(db, wallet, ct);
    }

    /// <summary>Raises each threshold the wallet has now crossed, once per period (even with several nodes).</summary>
    private async Task AnnounceThresholdsAsync(ControlPlaneDb db, Guid walletId, CancellationToken ct)
    {
        var w = await db.Wallets.AsNoTracking().Where(x => x.Id == walletId)
            .Select(x => new { x.Name, x.Limit, x.Spent, x.Thresholds, x.AnnouncedThreshold, x.PeriodStart }).FirstOrDefaultAsync(ct);
        if (w?.Limit is not { } limit || limit <= 0) return;
        var percent = w.Spent / limit * 100m;
        var crossed = WalletRules.ParseThresholds(w.Thresholds).Where(t => t > w.AnnouncedThreshold && percent >= t).ToList();
        if (percent >= 100 && w.AnnouncedThreshold < 100) crossed.Add(100);
        if (crossed.Count == 0) return;
        var highest = crossed.Max();
        var claimed = await db.Wallets.Where(x => x.Id == walletId && x.AnnouncedThreshold < highest)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.AnnouncedThreshold, highest), ct);
        if (claimed == 0) return; // another node announced them
        var now = DateTime.UtcNow;
        foreach (var threshold in crossed)
        {
            var kind = threshold >= 100 ? WalletEventKinds.Exhausted : WalletEventKinds.Threshold;
            var message = threshold >= 100 ? $"'{w.Name}' has spent its whole limit of {limit:0.##} USD." : $"'{w.Name}' has spent {threshold} % of its {limit:0.##} USD limit.";
            db.WalletEvents.Add(new WalletEvent { Id = Guid.CreateVersion7(), WalletId = walletId, Kind = kind, Threshold = threshold, PeriodStart = w.PeriodStart, At = now, Message = message });
            events.Publish(new WalletThresholdCrossed(walletId, w.Name, threshold, message));
        }
    }
}

/// <summary>A wallet crossed a threshold (or 100 %: exhausted) this period. Notifications send it.</summary>
public sealed record WalletThresholdCrossed(Guid WalletId, string WalletName, int Threshold, string Message);
