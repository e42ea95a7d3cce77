using System.Diagnostics;
using System.Diagnostics.Metrics;
using ControlPlane.Infrastructure.Telemetry;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// Wallet gauges, read at scrape time from the wallet book and this node's leases (both in memory already).
/// Utilisation is spent ÷ limit for wallets with a limit; only the <see cref="MetricsOptions.WalletSeries"/> most
/// used get a series, so thousands of key wallets cannot blow up the cardinality, and a wallet near exhaustion is
/// always among those shown.
/// </summary>
public sealed class WalletMetrics
{
    public const string MeterName = "ControlPlane.Wallets";

    public WalletMetrics(IMeterFactory meters, WalletBook book, BudgetLeases leases, IOptions<MetricsOptions> options)
    {
        var meter = meters.Create(MeterName);
        var series = options.Value.WalletSeries;
        meter.CreateObservableGauge<double>("controlplane.wallet.utilisation", () => Utilisation(book, series),
            description: "Spent ÷ limit of the most used wallets with a limit (1 = the limit is reached), by wallet, wallet_id and owner kind");
        meter.CreateObservableGauge("controlplane.wallet.leases", () => leases.Totals().Leases, description: "Wallets this node holds a budget lease on");
        meter.CreateObservableGauge("controlplane.wallet.lease_available_usd", () => (double)leases.Totals().Available, description: "Budget free in this node's leases (USD)");
        meter.CreateObservableGauge("controlplane.wallet.lease_held_usd", () => (double)leases.Totals().Held, description: "Budget held by calls in flight on this node (USD)");
        meter.CreateObservableGauge("controlplane.wallet.holds", () => leases.Totals().Holds, description: "Calls in flight holding budget on this node");
        meter.CreateObservableCounter("controlplane.wallet.lease_grants", () => leases.Totals().Grants, description: "Lease grants this node took from the database");
        meter.CreateObservableCounter("controlplane.wallet.leases_lost", () => leases.Totals().Lost, description: "Leases that expired before this node renewed them");
    }

    private static IEnumerable<Measurement<double>> Utilisation(WalletBook book, int series) =>
        book.All.Where(w => w.Limit is > 0)
            .Select(w => (Wallet: w, Used: (double)(w.Spent / w.Limit!.Value)))
            .OrderByDescending(w => w.Used).ThenBy(w => w.Wallet.Id)
            .Take(series)
            .Select(w => new Measurement<double>(w.Used, new TagList
            {
                { "wallet", w.Wallet.Name }, { "wallet_id", w.Wallet.Id.ToString() }, { "owner", w.Wallet.OwnerKind },
            }));
}
