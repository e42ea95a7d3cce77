namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// OpenAI's organisation admin API: <c>GET /v1/organization/usage/completions</c> (buckets of results with model,
/// input_tokens, output_tokens, num_model_requests, project_id, api_key_id; asked with <c>group_by=model</c>, and by project and key) and
/// <c>GET /v1/organization/costs</c> (results with amount {value, currency}, line_item, project_id; asked with
/// <c>group_by=line_item</c> and by project, whose line items read "model, input" or "model, output").
/// </summary>
public static class OpenAIReports
{
    public static IReadOnlyList<BillLine> ReadUsage(Stream content)
    {
        using var document = BillJson.Parse(content);
        return ReadUsagePage(document);
    }

    internal static List<BillLine> ReadUsagePage(System.Text.Json.JsonDocument document)
    {
        var lines = new List<BillLine>();
        foreach (var (bucketPath, bucket) in BillJson.Buckets(document))
        {
            var day = BillJson.UnixDay(bucket, "start_time", bucketPath);
            foreach (var (path, result) in BillJson.Results(bucketPath, bucket))
            {
                var model = BillJson.String(result, "model", path)
                    ?? throw new BillFormatException($"{path}.model: missing; ask the usage API with group_by=model so each result names its model.");
                var key = BillJson.String(result, "api_key_id", path);
                var project = BillJson.String(result, "project_id", path);
                lines.Add(new BillLine(day, model, key ?? project,
                    BillJson.Long(result, "input_tokens", path) ?? 0, BillJson.Long(result, "output_tokens", path) ?? 0,
                    BillJson.Long(result, "num_model_requests", path) ?? 0, null, null) { ParentScope = key is null ? null : project });
            }
        }
        return lines;
    }

    public static IReadOnlyList<BillLine> ReadCosts(Stream content)
    {
        using var document = BillJson.Parse(content);
        return ReadCostsPage(document);
    }

    internal static List<BillLine> ReadCostsPage(System.Text.Json.JsonDocument document)
    {
        var lines = new List<BillLine>();
        foreach (var (bucketPath, bucket) in BillJson.Buckets(document))
        {
            var day = BillJson.UnixDay(bucket, "start_time", bucketPath);
            foreach (var (path, result) in BillJson.Results(bucketPath, bucket))
            {
                if (!result.TryGetProperty("amount", out var amount) || amount.ValueKind != System.Text.Json.JsonValueKind.Object)
                    throw new BillFormatException($"{path}.amount: missing; expected {{\"value\": …, \"currency\": \"usd\"}}.");
                var lineItem = BillJson.String(result, "line_item", path)
                    ?? throw new BillFormatException($"{path}.line_item: missing; ask the costs API with group_by=line_item so each cost names its model.");
                lines.Add(new BillLine(day, ModelOf(lineItem), BillJson.String(result, "project_id", path), null, null, null,
                    BillJson.Money(amount, "value", path + ".amount"), BillJson.RequiredString(amount, "currency", path + ".amount").ToUpperInvariant()));
            }
        }
        return lines;
    }

    /// <summary>"gpt-4o-2024-08-06, input" → "gpt-4o-2024-08-06": the model a cost line item is for.</summary>
    public static string ModelOf(string lineItem)
    {
        var comma = lineItem.IndexOf(',', StringComparison.Ordinal);
        return (comma < 0 ? lineItem : lineItem[..comma]).Trim();
    }
}
