using System.Globalization;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Reconciliation;

/// <summary>What our call log counted for one model (and key) on one day and provider.</summary>
public sealed record OurUsage(string Model, Guid? KeyId, long InputTokens, long OutputTokens, long Requests, decimal Cost);

/// <summary>
/// How far apart two amounts may be before it is drift: a line drifts when the difference passes BOTH the absolute
/// amount and the percentage of the larger side, so cents of rounding on a small bill and a tenth of a percent on a
/// large one both stay quiet.
/// </summary>
public sealed record DriftThreshold(decimal Absolute, decimal Percent)
{
    public bool Passes(decimal theirs, decimal ours)
    {
        var difference = Math.Abs(theirs - ours);
        return difference > Absolute && difference > Math.Max(Math.Abs(theirs), Math.Abs(ours)) * Percent / 100m;
    }

    /// <summary>Token and request counts drift by the percentage alone (the absolute amount is money).</summary>
    public bool PassesCount(long theirs, long ours) =>
        theirs != ours && Math.Abs(theirs - ours) > Math.Max(theirs, ours) * Percent / 100m;
}

/// <summary>
/// Compares a provider's bill for one day with our call log, per model (and per key when the bill names our keys).
/// Pure: the service reads both sides and stores what this returns. Money stays decimal throughout.
/// </summary>
public static class BillComparison
{
    /// <summary>Our ledger's currency.</summary>
    public const string OurCurrency = "USD";

    /// <param name="theirs">The bill's lines for the day (usage and cost lines of one model are summed together).</param>
    /// <param name="ours">Our call log's sums for the day, per model and key.</param>
    /// <param name="pricedModels">The models our price book has a price for at this provider (case-insensitive).</param>
    /// <param name="threshold">When a difference is drift.</param>
    public static List<ReconciliationLine> Compare(IReadOnlyList<BillLine> theirs, IReadOnlyList<OurUsage> ours,
        IReadOnlySet<string> pricedModels, DriftThreshold threshold)
    {
        var perKey = theirs.Any(l => l.KeyId is not null);
        var billed = theirs.GroupBy(l => (Model: l.Model, Key: perKey ? l.KeyId : null), ModelKey.Comparer)
            .ToDictionary(g => g.Key, g => Sum(g.ToList()), ModelKey.Comparer);
        var counted = ours.GroupBy(o => (o.Model, Key: perKey ? o.KeyId : null), ModelKey.Comparer)
            .ToDictionary(g => g.Key, g => new OurUsage(g.Key.Model, g.Key.Key, g.Sum(o => o.InputTokens), g.Sum(o => o.OutputTokens),
                g.Sum(o => o.Requests), g.Sum(o => o.Cost)), ModelKey.Comparer);

        var lines = new List<ReconciliationLine>();
        foreach (var key in billed.Keys.Union(counted.Keys, ModelKey.Comparer).OrderBy(k => k.Model, StringComparer.OrdinalIgnoreCase).ThenBy(k => k.Key))
        {
            billed.TryGetValue(key, out var bill);
            counted.TryGetValue(key, out var our);
            lines.Add(LineOf(key.Model, key.Key, bill, our ?? new OurUsage(key.Model, key.Key, 0, 0, 0, 0m), our is not null, pricedModels, threshold));
        }
        return lines;
    }

    private static ReconciliationLine LineOf(string model, Guid? key, Billed? bill, OurUsage our, bool weHaveIt,
        IReadOnlySet<string> pricedModels, DriftThreshold threshold)
    {
        var line = new ReconciliationLine
        {
            Id = Guid.CreateVersion7(), Model = Clip(model), KeyId = key, Finding = Findings.Match, Note = "",
            TheirInputTokens = bill?.InputTokens, TheirOutputTokens = bill?.OutputTokens, TheirRequests = bill?.Requests,
            TheirCost = bill?.Cost, TheirCurrency = bill?.Currency,
            OurInputTokens = our.InputTokens, OurOutputTokens = our.OutputTokens, OurRequests = our.Requests, OurCost = our.Cost,
        };
        var sameCurrency = bill?.Currency is null or OurCurrency;
        if (bill is null)
        {
            line.Difference = -our.Cost;
            line.Drifted = our.Cost > 0 ? threshold.Passes(0m, our.Cost) : our.Requests > 0 || our.InputTokens + our.OutputTokens > 0;
            line.Finding = line.Drifted ? Findings.MissingOnTheirSide : Findings.Match;
            line.Note = line.Drifted
                ? $"We logged {our.Requests} call(s), {Tokens(our.InputTokens, our.OutputTokens)}, {Usd(our.Cost)} that the provider's bill does not have."
                : $"We logged {Usd(our.Cost)}, within the threshold; the bill has no line for it.";
            return line;
        }
        if (!sameCurrency)
        {
            line.Finding = Findings.CurrencyDifference;
            line.Drifted = true;
            line.Note = $"The bill is in {bill.Currency} ({Money(bill.Cost ?? 0m)} {bill.Currency}); our ledger is in {OurCurrency} ({Usd(our.Cost)}). "
                + "Money is not compared across currencies: export the bill in USD or compare by hand.";
            return line;
        }
        if (!weHaveIt)
        {
            var known = pricedModels.Contains(model);
            line.Difference = bill.Cost;
            line.Finding = known ? Findings.MissingOnOurSide : Findings.UnknownModel;
            line.Drifted = bill.Cost is { } c ? threshold.Passes(c, 0m) || !known : (bill.Requests ?? 0) + (bill.InputTokens ?? 0) + (bill.OutputTokens ?? 0) > 0;
            if (!line.Drifted) line.Finding = Findings.Match;
            line.Note = !line.Drifted ? $"The bill has {Usd(bill.Cost ?? 0m)} that our log does not; within the threshold."
                : known ? $"The provider billed {Describe(bill)} for {model} that our call log does not have."
                : $"The provider billed {Describe(bill)} for {model}, a model our price book does not know at this provider and no call of ours used.";
            return line;
        }
        if (bill.Cost is { } theirCost)
        {
            line.Difference = theirCost - our.Cost;
            line.Drifted = threshold.Passes(theirCost, our.Cost);
            if (line.Drifted)
            {
                line.Finding = Findings.PriceDifference;
                line.Note = $"The provider billed {Usd(theirCost)}, we logged {Usd(our.Cost)}: {(theirCost > our.Cost ? "they billed" : "we logged")} "
                    + $"{Usd(Math.Abs(theirCost - our.Cost))} more{UsageWords(bill, our)}.";
                return line;
            }
        }
        if (UsageDiffers(bill, our, threshold) is { } usage)
        {
            line.Finding = Findings.UsageDifference;
            line.Drifted = true;
            line.Note = usage;
            return line;
        }
        line.Note = bill.Cost is { } cost ? $"Both sides agree: {Usd(cost)} billed, {Usd(our.Cost)} logged." : "Both sides agree on the usage.";
        return line;
    }

    private static string? UsageDiffers(Billed bill, OurUsage our, DriftThreshold threshold)
    {
        var parts = new List<string>();
        if (bill.InputTokens is { } i && threshold.PassesCount(i, our.InputTokens)) parts.Add($"input tokens {i:N0} billed, {our.InputTokens:N0} logged");
        if (bill.OutputTokens is { } o && threshold.PassesCount(o, our.OutputTokens)) parts.Add($"output tokens {o:N0} billed, {our.OutputTokens:N0} logged");
        if (bill.Requests is { } r && threshold.PassesCount(r, our.Requests)) parts.Add($"requests {r:N0} billed, {our.Requests:N0} logged");
        return parts.Count == 0 ? null : "The counts differ: " + string.Join("; ", parts) + ".";
    }

    private static string UsageWords(Billed bill, OurUsage our) =>
        bill.InputTokens is { } i && bill.OutputTokens is { } o
            ? $" (tokens billed {Tokens(i, o)}, logged {Tokens(our.InputTokens, our.OutputTokens)})"
            : "";

    private static string Describe(Billed bill)
    {
        var parts = new List<string>();
        if (bill.Cost is { } c) parts.Add(bill.Currency == OurCurrency ? Usd(c) : $"{Money(c)} {bill.Currency}");
        if (bill.Requests is { } r) parts.Add($"{r:N0} request(s)");
        if (bill.InputTokens is { } i && bill.OutputTokens is { } o) parts.Add(Tokens(i, o));
        return string.Join(", ", parts);
    }

    private static string Tokens(long input, long output) => $"{input:N0} in / {output:N0} out tokens";

    internal static string Usd(decimal amount) => $"{Money(amount)} USD";

    /// <summary>An amount to the cent, or to the last non-zero digit below a cent (never rounded to a misleading 0.00).</summary>
    internal static string Money(decimal amount) =>
        amount.ToString("0.00##########", CultureInfo.InvariantCulture);

    private static string Clip(string model) => model.Length <= CallText.ModelMax ? model : model[..CallText.ModelMax];

    private static Billed Sum(List<BillLine> lines) => new(
        SumOrNull(lines.Select(l => l.InputTokens)), SumOrNull(lines.Select(l => l.OutputTokens)), SumOrNull(lines.Select(l => l.Requests)),
        lines.Any(l => l.Cost is not null) ? lines.Sum(l => l.Cost ?? 0m) : null,
        // Mixed currencies in one model's lines: name the first that is not ours, so the line says "different currency".
        lines.Select(l => l.Currency).OfType<string>().Distinct().OrderBy(c => c == OurCurrency ? 1 : 0).FirstOrDefault());

    private static long? SumOrNull(IEnumerable<long?> values)
    {
        long? sum = null;
        foreach (var v in values)
            if (v is { } n) sum = (sum ?? 0) + n;
        return sum;
    }

    private sealed record Billed(long? InputTokens, long? OutputTokens, long? Requests, decimal? Cost, string? Currency);

    /// <summary>Model names compare ignoring case: "GPT-4o" on a bill is our "gpt-4o".</summary>
    private sealed class ModelKey : IEqualityComparer<(string Model, Guid? Key)>
    {
        public static ModelKey Comparer { get; } = new();

        public bool Equals((string Model, Guid? Key) x, (string Model, Guid? Key) y) =>
            string.Equals(x.Model, y.Model, StringComparison.OrdinalIgnoreCase) && x.Key == y.Key;

        public int GetHashCode((string Model, Guid? Key) obj) => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Model), obj.Key);
    }
}
