using System.Globalization;
using ControlPlane.Features.Notifications;

namespace ControlPlane.Features.Wallets;

/// <summary>The alert for a crossed threshold: deduplicated per wallet, period and step, so a step is announced once per period.</summary>
public static class WalletAlerts
{
    public static Alert For(WalletThresholdCrossed e)
    {
        var exhausted = e.Threshold >= 100;
        var subject = exhausted ? $"Budget spent: '{e.WalletName}' has used its whole limit" : $"Budget at {e.Threshold} %: '{e.WalletName}'";
        var body = exhausted
            ? $"{e.Message} Calls are stopped or downgraded by the wallet's policy until it resets or a transfer adds budget."
            : $"{e.Message} Ask for a transfer before it runs out, or slow the spend down.";
        return new Alert(
            exhausted ? AlertKinds.WalletExhausted : AlertKinds.WalletThreshold, subject, body,
            exhausted ? AlertSeverity.Critical : e.Threshold >= 95 ? AlertSeverity.Warning : AlertSeverity.Info,
            TeamId: e.TeamId, WalletId: e.WalletId, Link: "/wallets",
            DedupKey: $"wallet:{e.WalletId:N}:{e.PeriodStart:yyyyMMddHHmm}:{e.Threshold}",
            Facts: new Dictionary<string, string>
            {
                ["Wallet"] = e.WalletName,
                ["Spent"] = string.Create(CultureInfo.InvariantCulture, $"{e.Spent:0.00} USD"),
                ["Limit"] = string.Create(CultureInfo.InvariantCulture, $"{e.Limit:0.00} USD"),
                ["Threshold"] = $"{e.Threshold} %",
                [AlertFacts.ThresholdPercent] = e.Threshold.ToString(CultureInfo.InvariantCulture),
            });
    }
}
