using System.Globalization;
using System.Text.Json;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// Answers <c>X-ControlPlane-Dry-Run: true</c>: the route the call would take and its worst-case cost, with no
/// provider called and nothing held.
/// </summary>
public static class DryRun
{
    public static async Task WriteAsync(HttpContext http, GatewayCall call, RequestInfo info, RoutePlan plan)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.Headers[ChatRelay.CostHeader] = "0";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteBoolean("dry_run", true);
        json.WriteString("request_id", call.RequestId);
        json.WriteString("model", plan.Alias);
        json.WriteString("reason", plan.Reason);
        json.WriteStartArray("route");
        foreach (var (target, rate) in plan.Targets)
        {
            json.WriteStartObject();
            json.WriteString("provider", target.Provider.Name);
            json.WriteString("kind", target.Provider.Kind);
            json.WriteString("upstream_model", target.UpstreamModel);
            json.WriteBoolean("priced", rate is not null);
            if (rate is not null)
            {
                json.WriteString("input_per_million", Money(rate.InputPerMillion));
                json.WriteString("cached_input_per_million", Money(rate.CachedInputPerMillion));
                json.WriteString("cache_write_input_per_million", Money(rate.CacheWritePerMillion));
                json.WriteString("output_per_million", Money(rate.OutputPerMillion));
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNumber("estimated_input_tokens", info.EstimatedInputTokens);
        json.WriteNumber("input_tokens_bound", plan.InputTokensBound);
        json.WriteNumber("max_output_tokens", plan.MaxOutputTokens);
        json.WriteNumber("choices", plan.Choices);
        json.WriteString("worst_case_cost", Money(plan.WorstCaseCost));
        json.WriteString("currency", "USD");
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }

    // Money goes out as a string: a JSON number would pass through binary floating point in most clients.
    private static string Money(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
