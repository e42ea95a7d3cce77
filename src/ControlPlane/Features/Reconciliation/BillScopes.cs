using System.Globalization;

namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// Splits an organisation-wide bill by provider-side id (project, API key, workspace) into the part of one of our
/// provider connections, using the ids each connection owns (<see cref="ProviderBillingIds"/>). A line is the
/// connection's when its key id, or else its project or workspace id, is one of the connection's; a line of another
/// connection's id is left to that connection; any other line (an id no connection owns, or no id at all) is unmatched:
/// usage that did not go through the gateway, named in the report. A connection that owns no ids takes every line no
/// other connection claims, and a bill without such grouping is compared whole, as before.
/// </summary>
public static class BillScopes
{
    /// <summary>What a split leaves: this connection's lines, and the unmatched ids with their sums in words (null: none).</summary>
    public sealed record Split(IReadOnlyList<BillLine> Mine, string? Unmatched);

    public const int UnmatchedMax = 2000;
    private const string NoId = "(no project or key)";

    /// <param name="bill">The bill's lines (of one day).</param>
    /// <param name="provider">Our connection whose part is wanted.</param>
    /// <param name="owners">Every provider-side id that one of our connections owns → that connection's name.</param>
    public static Split Of(IReadOnlyList<BillLine> bill, string provider, IReadOnlyDictionary<string, string> owners)
    {
        if (owners.Count == 0 || !bill.Any(l => l.Scope is not null)) return new Split(bill, null);
        var ownsSome = owners.Values.Contains(provider, StringComparer.Ordinal);
        var mine = new List<BillLine>();
        var unmatched = new List<BillLine>();
        foreach (var line in bill)
        {
            // The key is more specific than its project: the first id that someone owns decides.
            var owner = line.Scopes.Select(s => owners.GetValueOrDefault(s)).FirstOrDefault(o => o is not null);
            if (owner == provider || (owner is null && !ownsSome)) mine.Add(line);
            else if (owner is null) unmatched.Add(line);
        }
        return new Split(mine, Describe(unmatched));
    }

    private static string? Describe(List<BillLine> lines)
    {
        if (lines.Count == 0) return null;
        // Named by the outermost id (a key's project or workspace), so a project's usage and its costs read as one.
        var parts = lines.GroupBy(l => l.ParentScope ?? l.Scope ?? NoId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var what = new List<string>();
            var costs = g.Where(l => l.Cost is not null).GroupBy(l => l.Currency ?? BillComparison.OurCurrency);
            foreach (var cost in costs) what.Add($"{BillComparison.Money(cost.Sum(l => l.Cost ?? 0m))} {cost.Key}");
            if (g.Any(l => l.Requests is not null)) what.Add($"{g.Sum(l => l.Requests ?? 0).ToString("N0", CultureInfo.InvariantCulture)} request(s)");
            if (g.Any(l => l.InputTokens is not null || l.OutputTokens is not null))
                what.Add($"{g.Sum(l => l.InputTokens ?? 0).ToString("N0", CultureInfo.InvariantCulture)} in / {g.Sum(l => l.OutputTokens ?? 0).ToString("N0", CultureInfo.InvariantCulture)} out tokens");
            var models = string.Join(", ", g.Select(l => l.Model).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase));
            return $"{g.Key} ({models}): {string.Join(", ", what)}";
        });
        var text = string.Join("; ", parts);
        return text.Length <= UnmatchedMax ? text : text[..(UnmatchedMax - 1)] + "…";
    }
}
