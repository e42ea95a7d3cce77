using System.Globalization;
using System.Text;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.Overview;

namespace ControlPlane.Features.Digests;

/// <summary>
/// One reader's digest: the period's spend and calls and the change against the period before, the top models, keys
/// and callers, the wallets at risk with their forecast, and the anomalies of the last day: all read through the
/// Overview's own queries, within the reader's <see cref="Scope"/>.
/// </summary>
public sealed record DigestReport(
    DigestPeriod Period, string Audience, decimal Spend, long Calls, decimal PreviousSpend,
    IReadOnlyList<SpendSlice> TopModels, TopSpenderLists Top, IReadOnlyList<WalletOutlook> WalletsAtRisk, IReadOnlyList<SpendAnomaly> Anomalies,
    OverviewScope Scope)
{
    public const int Listed = 3;

    /// <summary>"+25.0 %", "-10.0 %", "new" (nothing before), or "no change".</summary>
    public string Change => Spend == PreviousSpend ? "no change"
        : PreviousSpend == 0 ? "new spend"
        : ((Spend - PreviousSpend) / PreviousSpend * 100m).ToString("+0.0' %';-0.0' %'", CultureInfo.InvariantCulture);

    public string Subject =>
        $"{(Period.Days == 1 ? "Daily" : "Weekly")} AI spend digest, {Period.Label}: {Usd(Spend)} ({Change})";

    public string Body
    {
        get
        {
            var text = new StringBuilder();
            text.AppendLine($"{Audience}, {Period.Label}.");
            text.AppendLine($"Spend: {Usd(Spend)} over {CallCount(Calls)}; {Usd(PreviousSpend)} {Period.PreviousLabel} ({Change}).");
            Section(text, "Top models", TopModels.Where(m => m.Name != SpendBreakdown.Other).Take(Listed).Select(m => $"{m.Name} {Usd(m.Total)} ({CallCount(m.Calls)})"));
            Section(text, "Top keys", Top.Keys.Take(Listed).Select(k => $"{k.Name} {Usd(k.Cost)} ({CallCount(k.Calls)})"));
            Section(text, "Top callers", Top.Callers.Take(Listed).Select(c => $"{c.Name} {Usd(c.Cost)} ({CallCount(c.Calls)})"));
            Section(text, "Wallets at risk", WalletsAtRisk.Select(w =>
                $"{w.Name} {(w.Utilisation * 100m).ToString("0", CultureInfo.InvariantCulture)} % of {Usd(w.Limit)}, {w.Forecast}"));
            Section(text, "Anomalies (last 24 hours)", Anomalies.Select(a => $"{a.Subject}: {a.Reason}"));
            return text.ToString().TrimEnd();
        }
    }

    public IReadOnlyDictionary<string, string> Facts => new Dictionary<string, string>
    {
        ["Spend"] = Usd(Spend),
        ["Calls"] = Calls.ToString(CultureInfo.InvariantCulture),
        [$"Change vs {Period.PreviousLabel}"] = Change,
        ["Wallets at risk"] = WalletsAtRisk.Count.ToString(CultureInfo.InvariantCulture),
        ["Anomalies"] = Anomalies.Count.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The alert that carries it: to one reader's inbox, or (without <paramref name="reader"/>) to the chat channels.</summary>
    public Alert ToAlert(string? reader, string dedupKey) => new(AlertKinds.Digest, Subject, Body,
        WalletsAtRisk.Count > 0 || Anomalies.Count > 0 ? AlertSeverity.Warning : AlertSeverity.Info,
        Link: Period.Link, DedupKey: dedupKey, Facts: Facts, Recipients: reader is null ? null : [reader]);

    public static string Usd(decimal amount) => amount.ToString("$#,##0.00", CultureInfo.InvariantCulture);

    public static string CallCount(long calls) => calls == 1 ? "1 call" : $"{calls.ToString(CultureInfo.InvariantCulture)} calls";

    private static void Section(StringBuilder text, string title, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        text.AppendLine(list.Count == 0 ? $"{title}: none." : $"{title}:");
        foreach (var line in list) text.AppendLine($"- {line}");
    }
}
