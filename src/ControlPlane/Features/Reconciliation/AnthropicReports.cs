using System.Text.Json;

namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// Anthropic's admin API: <c>GET /v1/organizations/usage_report/messages</c> (buckets from starting_at with results of
/// uncached_input_tokens, cache_read_input_tokens, cache_creation {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens},
/// output_tokens, model, api_key_id, workspace_id; asked with <c>group_by[]=model</c>; no request counts) and
/// <c>GET /v1/organizations/cost_report</c> (results with currency and amount, a decimal string in the currency's
/// lowest unit, i.e. cents, with model, description and cost_type).
/// </summary>
public static class AnthropicReports
{
    public static IReadOnlyList<BillLine> ReadUsage(Stream content)
    {
        using var document = BillJson.Parse(content);
        return ReadUsagePage(document);
    }

    internal static List<BillLine> ReadUsagePage(JsonDocument document)
    {
        var lines = new List<BillLine>();
        foreach (var (bucketPath, bucket) in BillJson.Buckets(document))
        {
            var day = BillJson.IsoDay(bucket, "starting_at", bucketPath);
            foreach (var (path, result) in BillJson.Results(bucketPath, bucket))
            {
                var model = BillJson.String(result, "model", path)
                    ?? throw new BillFormatException($"{path}.model: missing; ask the usage report with group_by[]=model so each result names its model.");
                // Our calls count every input token (cached reads and cache writes included), as Anthropic bills them.
                var input = (BillJson.Long(result, "uncached_input_tokens", path) ?? 0) + (BillJson.Long(result, "cache_read_input_tokens", path) ?? 0);
                if (result.TryGetProperty("cache_creation", out var creation) && creation.ValueKind == JsonValueKind.Object)
                    input += (BillJson.Long(creation, "ephemeral_5m_input_tokens", path + ".cache_creation") ?? 0)
                        + (BillJson.Long(creation, "ephemeral_1h_input_tokens", path + ".cache_creation") ?? 0);
                var key = BillJson.String(result, "api_key_id", path);
                var workspace = BillJson.String(result, "workspace_id", path);
                lines.Add(new BillLine(day, model, key ?? workspace, input, BillJson.Long(result, "output_tokens", path) ?? 0, null, null, null)
                    { ParentScope = key is null ? null : workspace });
            }
        }
        return lines;
    }

    public static IReadOnlyList<BillLine> ReadCosts(Stream content)
    {
        using var document = BillJson.Parse(content);
        return ReadCostsPage(document);
    }

    internal static List<BillLine> ReadCostsPage(JsonDocument document)
    {
        var lines = new List<BillLine>();
        foreach (var (bucketPath, bucket) in BillJson.Buckets(document))
        {
            var day = BillJson.IsoDay(bucket, "starting_at", bucketPath);
            foreach (var (path, result) in BillJson.Results(bucketPath, bucket))
            {
                // Costs that are not a model's tokens (web search, code execution) have no model: named by their type.
                var model = BillJson.String(result, "model", path) ?? BillJson.String(result, "cost_type", path)
                    ?? throw new BillFormatException($"{path}.model: missing (and no cost_type); ask the cost report with group_by[]=description.");
                var cents = BillJson.Money(result, "amount", path);
                lines.Add(new BillLine(day, model, BillJson.String(result, "workspace_id", path), null, null, null,
                    cents / 100m, BillJson.RequiredString(result, "currency", path).ToUpperInvariant()));
            }
        }
        return lines;
    }
}
