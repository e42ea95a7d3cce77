using System.Text.Json;
using ControlPlane.Features.Gateway.Catalogue;

namespace ControlPlane.Features.Gateway;

/// <summary>GET /v1/models: the aliases a key may use, in OpenAI's shape, or Anthropic's when the caller is an Anthropic client.</summary>
public static class ModelList
{
    public static async Task WriteAsync(HttpContext http, GatewayCatalog catalog)
    {
        var models = catalog.Current.Models.Values.Where(m => m.Targets.Count > 0).OrderBy(m => m.Alias, StringComparer.Ordinal).ToList();
        var anthropic = http.Request.Headers.ContainsKey("anthropic-version");
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        if (!anthropic) json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var model in models)
        {
            json.WriteStartObject();
            json.WriteString("id", model.Alias);
            if (anthropic)
            {
                json.WriteString("type", "model");
                json.WriteString("display_name", model.Alias);
                json.WriteString("created_at", "2026-01-01T00:00:00Z");
            }
            else
            {
                json.WriteString("object", "model");
                json.WriteNumber("created", 1767225600);
                json.WriteString("owned_by", model.Targets[0].Provider.Name);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (anthropic)
        {
            json.WriteBoolean("has_more", false);
            if (models.Count > 0)
            {
                json.WriteString("first_id", models[0].Alias);
                json.WriteString("last_id", models[^1].Alias);
            }
        }
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }
}
