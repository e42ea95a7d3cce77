namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// The documented CSV for any provider: a header, then one line per day, provider and model (and optionally one of our
/// keys): <c>date,provider,model,input_tokens,output_tokens,requests,cost,currency[,key]</c>. The date is yyyy-MM-dd
/// (UTC); token and request counts may be empty when unknown; cost is a decimal with a dot; key, when given, is our
/// virtual key's id. Only the lines of the provider being reconciled are kept.
/// </summary>
public static class GenericBillCsv
{
    public const string Header = "date,provider,model,input_tokens,output_tokens,requests,cost,currency,key";

    public static IReadOnlyList<BillLine> Read(Stream content, string provider)
    {
        using var csv = BillCsv.Open(content);
        int date = csv.Required("date"), providerColumn = csv.Required("provider"), model = csv.Required("model"),
            cost = csv.Required("cost"), currency = csv.Required("currency");
        int? input = csv.Required("input_tokens"), output = csv.Required("output_tokens"), requests = csv.Required("requests"), key = csv.Column("key");
        var lines = new List<BillLine>();
        while (csv.Read())
        {
            if (!string.Equals(csv.RequiredText(providerColumn), provider, StringComparison.OrdinalIgnoreCase)) continue;
            Guid? keyId = null;
            if (key is { } k && csv.Text(k) is { Length: > 0 } keyText)
                keyId = Guid.TryParse(keyText, out var id) ? id : throw csv.Error(k, $"'{keyText}' is not a key id (a GUID, as on the Keys page)");
            var code = csv.RequiredText(currency);
            if (code.Length != 3 || !code.All(char.IsAsciiLetter)) throw csv.Error(currency, $"'{code}' is not a three-letter currency code such as USD");
            lines.Add(new BillLine(csv.Day(date, "yyyy-MM-dd"), csv.RequiredText(model), null, csv.Tokens(input), csv.Tokens(output), csv.Tokens(requests),
                csv.Decimal(cost), code.ToUpperInvariant()) { KeyId = keyId });
        }
        return lines;
    }
}
