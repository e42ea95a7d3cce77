using ControlPlane.Features.Metering;
using ControlPlane.Features.Notifications;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// Writes a batch's charges in the same transaction as its call rows: the wallets' balances moved by the batch's
/// totals, the leases' use, one balanced ledger transaction per call and wallet, and threshold events. A charge on an
/// open (or normally returned) lease moves money held → spent; on a swept lease (its remainder already went back) or
/// an unlimited wallet, budget → spent. Events are published only once the transaction committed.
/// </summary>
internal sealed class WalletChargeHook(EventBus events, WalletStandings standings, IAlerts alerts, TimeProvider clock) : ICallBatchHook
{
    private readonly record struct Leg(Guid CallId, DateTime At, decimal Amount);

    public async Task<Action?> ApplyAsync(ControlPlaneDb db, IReadOnlyList<MeteredCall> batch, CancellationToken ct)
    {
        var groups = new Dictionary<(Guid Wallet, Guid? Lease), List<Leg>>();
        foreach (var call in batch)
            foreach (var charge in call.Charges ?? [])
                if (charge.Amount != 0)
                {
                    if (!groups.TryGetValue((charge.WalletId, charge.LeaseId), out var legs)) groups[(charge.WalletId, charge.LeaseId)] = legs = [];
                    legs.Add(new Leg(call.Record.Id, call.Record.At, charge.Amount));
                }
        if (groups.Count == 0) return null;

        // Sorted by wallet, so two nodes' writers lock wallet rows in the same order.
        foreach (var ((wallet, lease), legs) in groups.OrderBy(g => g.Key.Wallet))
        {
            var amount = legs.Sum(l => l.Amount);
            await Ledger.LockWalletAsync(db, wallet, ct);
            var fromHeld = lease is { } leaseId && await db.BudgetLeases.Where(l => l.Id == leaseId && !l.Swept)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.Used, l => l.Used + amount), ct) == 1;
            if (fromHeld)
                await db.Wallets.Where(w => w.Id == wallet)
                    .ExecuteUpdateAsync(s => s.SetProperty(w => w.Spent, w => w.Spent + amount).SetProperty(w => w.Leased, w => w.Leased - amount), ct);
            else
                await db.Wallets.Where(w => w.Id == wallet).ExecuteUpdateAsync(s => s.SetProperty(w => w.Spent, w => w.Spent + amount), ct);
            foreach (var leg in legs)
                Ledger.AddTransfer(db, leg.At, LedgerKinds.Charge, wallet, LedgerAccounts.Spent,
                    fromHeld ? wallet : null, fromHeld ? LedgerAccounts.Held : LedgerAccounts.Budget, leg.Amount, callId: leg.CallId, leaseId: lease);
            if (fromHeld) await RecordOvershootAsync(db, wallet, lease!.Value, amount, legs, ct);
        }
        var announced = new List<WalletThresholdCrossed>();
        foreach (var wallet in groups.Keys.Select(k => k.Wallet).Distinct().Order())
            announced.AddRange(await AnnounceThresholdsAsync(db, wallet, ct));
        var charged = groups.Keys.Select(k => k.Wallet).Distinct().ToArray();
        return () =>
        {
            foreach (var wallet in charged) standings.Forget(wallet);
            foreach (var e in announced)
            {
                events.Publish(e);
                // Off the writer's path: RaiseAsync only queues rows (and never throws); the channels send later.
                _ = Task.Run(() => alerts.RaiseAsync(WalletAlerts.For(e)));
            }
        };
    }

    /// <summary>
    /// Records, once each time it happens, that a lease's use passed what was granted to it: calls cost more than
    /// their holds and their node's free budget could absorb. Runs under the wallet row's lock (taken above), so the
    /// event's ordinal within the period is unique across nodes.
    /// </summary>
    private async Task RecordOvershootAsync(ControlPlaneDb db, Guid walletId, Guid leaseId, decimal amount, List<Leg> legs, CancellationToken ct)
    {
        var lease = await db.BudgetLeases.AsNoTracking().Where(l => l.Id == leaseId).Select(l => new { l.Granted, l.Used, l.Node }).FirstAsync(ct);
        if (lease.Used <= lease.Granted || lease.Used - amount > lease.Granted) return; // not over, or already over before this batch
        var periodStart = await db.Wallets.Where(w => w.Id == walletId).Select(w => w.PeriodStart).FirstAsync(ct);
        var ordinal = await db.WalletEvents.CountAsync(e => e.WalletId == walletId && e.Kind == WalletEventKinds.Overshoot && e.PeriodStart == periodStart, ct) + 1;
        var calls = string.Join(", ", legs.TakeLast(2).Select(l => $"req_{l.CallId:N}"));
        var message = $"Calls cost more than their holds: lease {leaseId:N} of {lease.Node} has used {lease.Used:0.##########} of {lease.Granted:0.##########} USD granted "
            + $"({lease.Used - lease.Granted:0.##########} over; last calls {calls}). Its node takes no more holds until the excess is repaid.";
        db.WalletEvents.Add(new WalletEvent
        {
            Id = Guid.CreateVersion7(), WalletId = walletId, Kind = WalletEventKinds.Overshoot, Threshold = ordinal, PeriodStart = periodStart,
            At = clock.GetUtcNow().UtcDateTime, Message = message.Length <= 300 ? message : message[..300],
        });
    }

    /// <summary>Records each threshold the wallet has now crossed, once per period (even with several nodes).</summary>
    private async Task<IReadOnlyList<WalletThresholdCrossed>> AnnounceThresholdsAsync(ControlPlaneDb db, Guid walletId, CancellationToken ct)
    {
        var w = await db.Wallets.AsNoTracking().Where(x => x.Id == walletId)
            .Select(x => new { x.Name, x.Limit, x.Spent, x.Thresholds, x.AnnouncedThreshold, x.PeriodStart, x.OwnerKind, x.OwnerId }).FirstOrDefaultAsync(ct);
        if (w?.Limit is not { } limit || limit <= 0) return [];
        var percent = w.Spent / limit * 100m;
        var crossed = WalletRules.ParseThresholds(w.Thresholds).Where(t => t > w.AnnouncedThreshold && percent >= t).ToList();
        if (percent >= 100 && w.AnnouncedThreshold < 100) crossed.Add(100);
        if (crossed.Count == 0) return [];
        var highest = crossed.Max();
        var claimed = await db.Wallets.Where(x => x.Id == walletId && x.AnnouncedThreshold < highest)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.AnnouncedThreshold, highest), ct);
        if (claimed == 0) return []; // another node announced them
        var now = clock.GetUtcNow().UtcDateTime;
        var announced = new List<WalletThresholdCrossed>();
        foreach (var threshold in crossed)
        {
            var kind = threshold >= 100 ? WalletEventKinds.Exhausted : WalletEventKinds.Threshold;
            var message = threshold >= 100 ? $"'{w.Name}' has spent its whole limit of {limit:0.##} USD." : $"'{w.Name}' has spent {threshold} % of its {limit:0.##} USD limit.";
            db.WalletEvents.Add(new WalletEvent { Id = Guid.CreateVersion7(), WalletId = walletId, Kind = kind, Threshold = threshold, PeriodStart = w.PeriodStart, At = now, Message = message });
            announced.Add(new WalletThresholdCrossed(walletId, w.Name, threshold, message)
            {
                TeamId = w.OwnerKind == WalletOwners.Team ? w.OwnerId : null, PeriodStart = w.PeriodStart, Limit = limit, Spent = w.Spent,
            });
        }
        return announced;
    }
}

/// <summary>A wallet crossed a threshold (or 100 %: exhausted) this period. Notifications send it.</summary>
public sealed record WalletThresholdCrossed(Guid WalletId, string WalletName, int Threshold, string Message)
{
    /// <summary>The team whose wallet it is (its leads are the alert's first audience); null for other owners.</summary>
    public Guid? TeamId { get; init; }
    public DateTime PeriodStart { get; init; }
    public decimal Limit { get; init; }
    public decimal Spent { get; init; }
}
