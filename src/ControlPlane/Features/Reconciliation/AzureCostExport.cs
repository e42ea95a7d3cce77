namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// An Azure Cost Management export (CSV, actual cost) for Azure OpenAI. The columns read: <c>Date</c> (MM/dd/yyyy or
/// yyyy-MM-dd), <c>MeterName</c> (e.g. "gpt-4o-0806-Inp-glbl"), <c>Quantity</c> in <c>UnitOfMeasure</c> ("1K", "1M" or
/// single tokens), <c>CostInBillingCurrency</c> and <c>BillingCurrency</c> (older exports: <c>Cost</c> /
/// <c>PreTaxCost</c> and <c>BillingCurrencyCode</c> / <c>Currency</c>). A <c>Model</c> column, when the export has one
/// (e.g. from a tag), names the model; otherwise it is the meter name up to its input/output word. Rows of other
/// services (a <c>ProductName</c>, <c>MeterCategory</c> or <c>MeterSubCategory</c> not about OpenAI) are left out.
/// </summary>
public static class AzureCostExport
{
    private static readonly string[] InputWords = ["inp", "input", "in"];
    private static readonly string[] OutputWords = ["outp", "output", "out", "opt"];

    public static IReadOnlyList<BillLine> Read(Stream content)
    {
        using var csv = BillCsv.Open(content);
        var date = csv.Required("Date", "UsageDate", "date");
        var meter = csv.Required("MeterName", "meterName");
        var quantity = csv.Required("Quantity", "UsageQuantity", "quantity");
        var cost = csv.Required("CostInBillingCurrency", "Cost", "PreTaxCost", "costInBillingCurrency");
        var currency = csv.Required("BillingCurrency", "BillingCurrencyCode", "Currency", "billingCurrency");
        int? unit = csv.Column("UnitOfMeasure", "unitOfMeasure"), model = csv.Column("Model", "model");
        int?[] service = [csv.Column("ProductName", "productName"), csv.Column("MeterCategory"), csv.Column("MeterSubCategory")];
        var lines = new List<BillLine>();
        while (csv.Read())
        {
            var about = service.OfType<int>().Select(csv.Text).Where(t => t.Length > 0).ToList();
            if (about.Count > 0 && !about.Any(t => t.Contains("OpenAI", StringComparison.OrdinalIgnoreCase))) continue;
            var meterName = csv.RequiredText(meter);
            var (meterModel, direction) = ParseMeter(meterName);
            var name = model is { } m && csv.Text(m) is { Length: > 0 } given ? given : meterModel;
            var tokens = (long)Math.Round(csv.Decimal(quantity) * UnitSize(unit is { } u ? csv.Text(u) : ""), MidpointRounding.AwayFromZero);
            lines.Add(new BillLine(csv.Day(date, "MM/dd/yyyy", "yyyy-MM-dd", "M/d/yyyy"), name, null,
                direction == Direction.Input ? tokens : direction == Direction.Output ? 0 : null,
                direction == Direction.Output ? tokens : direction == Direction.Input ? 0 : null,
                null, csv.Decimal(cost), csv.RequiredText(currency).ToUpperInvariant()));
        }
        return lines;
    }

    internal enum Direction { Unknown, Input, Output }

    /// <summary>"gpt-4o-0806-Inp-glbl" → ("gpt-4o-0806", Input); "gpt 4o mini Output global Tokens" → ("gpt-4o-mini", Output).</summary>
    internal static (string Model, Direction Direction) ParseMeter(string meterName)
    {
        var words = meterName.Split([' ', '-'], StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i < words.Length; i++)
        {
            var word = words[i].ToLowerInvariant();
            var direction = InputWords.Contains(word) ? Direction.Input : OutputWords.Contains(word) ? Direction.Output : Direction.Unknown;
            if (direction != Direction.Unknown) return (string.Join('-', words[..i]).ToLowerInvariant(), direction);
        }
        return (string.Join('-', words).ToLowerInvariant(), Direction.Unknown);
    }

    private static decimal UnitSize(string unit) => unit.Trim().ToUpperInvariant() switch
    {
        var u when u.StartsWith("1M", StringComparison.Ordinal) => 1_000_000m,
        var u when u.StartsWith("1K", StringComparison.Ordinal) || u.StartsWith("1000", StringComparison.Ordinal) => 1_000m,
        _ => 1m,
    };
}
