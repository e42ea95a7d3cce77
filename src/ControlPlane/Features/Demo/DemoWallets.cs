using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Features.Demo;

/// <summary>
/// The demo's budgets: the organisation, the teams (Search downgrades to a cheaper model, Sales only warns, Research
/// is weekly), with this period's demo calls charged to them through the ledger, so the balances are the ledger's
/// sums as in real use, and one team (Search) is past its thresholds whatever the date.
/// </summary>
internal static class DemoWallets
{
    public static void Seed(ControlPlaneDb db, Guid organizationId, IReadOnlyDictionary<string, Guid> teams, DateTime now)
    {
        Wallet Add(string name, string kind, Guid owner, Wallet? parent, decimal? limit, string period = WalletPeriods.Monthly,
            string policy = ExhaustionPolicies.Block, string? downgrade = null, decimal overdraft = 0)
        {
            var wallet = new Wallet
            {
                Id = Guid.CreateVersion7(), Name = name, OwnerKind = kind, OwnerId = owner, ParentWalletId = parent?.Id, Period = period,
                Limit = limit, OverdraftPercent = overdraft, Thresholds = WalletRules.DefaultThresholds, ExhaustionPolicy = policy,
                DowngradeAlias = downgrade, PeriodStart = WalletPeriods.StartOf(period, now), CreatedAt = now.AddDays(-30),
            };
            db.Wallets.Add(wallet);
            return wallet;
        }

        var org = Add(DemoData.OrganizationName, WalletOwners.Organization, organizationId, null, 500m);
        var engineering = Add("Team Engineering", WalletOwners.Team, teams["Engineering"], org, 200m);
        var platform = Add("Team Platform", WalletOwners.Team, teams["Platform"], engineering, 120m, overdraft: 5m);
        var search = Add("Team Search", WalletOwners.Team, teams["Search"], platform, 3m, policy: ExhaustionPolicies.Downgrade, downgrade: "claude-haiku");
        Add("Team Mobile", WalletOwners.Team, teams["Mobile"], engineering, 60m);
        Add("Team Research", WalletOwners.Team, teams["Research"], org, 15m, period: WalletPeriods.Weekly);
        Add("Team Sales", WalletOwners.Team, teams["Sales"], org, 4m, policy: ExhaustionPolicies.WarnOnly);

        var wallets = db.Wallets.Local.ToDictionary(w => w.Id);
        var byTeam = db.Wallets.Local.Where(w => w.OwnerKind == WalletOwners.Team).ToDictionary(w => w.OwnerId);
        foreach (var call in db.Calls.Local.Where(c => c.Cost > 0 && c.TeamId is not null).OrderBy(c => c.At))
        {
            for (var wallet = byTeam.GetValueOrDefault(call.TeamId!.Value); wallet is not null; wallet = wallet.ParentWalletId is { } p ? wallets[p] : null)
            {
                if (call.At < wallet.PeriodStart) continue;
                Ledger.AddTransfer(db, call.At, LedgerKinds.Charge, wallet.Id, LedgerAccounts.Spent, null, LedgerAccounts.Budget, call.Cost, callId: call.Id);
                wallet.Spent += call.Cost;
            }
        }
        // Search's limit sits just above what it spent this period, so on any date one budget is past its thresholds.
        // It is also short enough that, at the period's rate so far, it runs out before the period ends (the Overview's
        // burn-rate forecast then names a day): half of what the rest of the period would spend at that rate.
        var searchEnd = WalletPeriods.EndOf(search.Period, search.PeriodStart) ?? now.AddDays(30);
        var searchRate = search.Spent / Overview.BurnForecast.RateWindow(search.PeriodStart, searchEnd, now).Ticks;
        var searchLeft = Math.Min(search.Spent / 0.85m - search.Spent, searchRate * (searchEnd - now).Ticks / 2);
        search.Limit = Math.Max(0.01m, decimal.Ceiling((search.Spent + searchLeft) * 100m) / 100m);
        // Announce what the demo spend has crossed, as the gateway would have.
        foreach (var wallet in wallets.Values.Where(w => w.Limit > 0))
        {
            var percent = wallet.Spent / wallet.Limit!.Value * 100m;
            foreach (var threshold in WalletRules.ParseThresholds(wallet.Thresholds).Append(100).Where(t => percent >= t))
            {
                db.WalletEvents.Add(new WalletEvent
                {
                    Id = Guid.CreateVersion7(), WalletId = wallet.Id, Kind = threshold >= 100 ? WalletEventKinds.Exhausted : WalletEventKinds.Threshold,
                    Threshold = threshold, PeriodStart = wallet.PeriodStart, At = now.AddHours(-threshold / 10.0),
                    Message = threshold >= 100 ? $"'{wallet.Name}' has spent its whole limit of {wallet.Limit:0.##} USD." : $"'{wallet.Name}' has spent {threshold} % of its {wallet.Limit:0.##} USD limit.",
                });
                wallet.AnnouncedThreshold = threshold;
            }
        }
    }
}
