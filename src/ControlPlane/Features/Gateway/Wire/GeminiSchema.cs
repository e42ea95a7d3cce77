using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// JSON Schema → Gemini's Schema (a subset of OpenAPI 3.0). Gemini rejects unknown keywords, and OpenAI strict
/// schemas always carry <c>additionalProperties: false</c>, so unknown keywords are dropped rather than passed on.
/// </summary>
/// <remarks>
/// Also: <c>type: ["string","null"]</c> becomes <c>type: "string", nullable: true</c>; <c>oneOf</c> is read as
/// <c>anyOf</c>; <c>const</c> becomes a one-value enum; string formats other than enum and date-time are dropped
/// (the Gemini API refuses them); <c>$ref</c>/<c>$defs</c> are dropped (not inlined).
/// </remarks>
internal static class GeminiSchema
{
    /// <summary>True when the schema declares at least one property: Gemini refuses empty OBJECT parameters.</summary>
    public static bool HasProperties(JsonElement schema)
    {
        if (schema.Object("properties") is { } properties)
        {
            foreach (var _ in properties.EnumerateObject())
            {
                return true;
            }
        }
        return false;
    }

    public static void Write(Utf8JsonWriter w, JsonElement schema)
    {
        w.WriteStartObject();
        if (schema.ValueKind != JsonValueKind.Object)
        {
            w.WriteEndObject();
            return;
        }
        var nullable = false;
        var wroteEnum = false;
        foreach (var p in schema.EnumerateObject())
        {
            switch (p.Name)
            {
                case "type":
                    nullable |= WriteType(w, p.Value);
                    break;
                case "properties" when p.Value.ValueKind == JsonValueKind.Object:
                    w.WriteStartObject("properties");
                    foreach (var property in p.Value.EnumerateObject())
                    {
                        w.WritePropertyName(property.Name);
                        Write(w, property.Value);
                    }
                    w.WriteEndObject();
                    break;
                case "items" when p.Value.ValueKind == JsonValueKind.Object:
                    w.WritePropertyName("items");
                    Write(w, p.Value);
                    break;
                case "anyOf" or "oneOf" when p.Value.ValueKind == JsonValueKind.Array:
                    w.WriteStartArray("anyOf");
                    foreach (var item in p.Value.EnumerateArray())
                    {
                        Write(w, item);
                    }
                    w.WriteEndArray();
                    break;
                case "enum" when p.Value.ValueKind == JsonValueKind.Array:
                    WriteEnum(w, p.Value.EnumerateArray());
                    wroteEnum = true;
                    break;
                case "nullable" when p.Value.ValueKind == JsonValueKind.True:
                    nullable = true;
                    break;
                case "format" when p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is "enum" or "date-time" or "float" or "double" or "int32" or "int64":
                case "title" or "description" or "pattern" or "example" or "default" or "required" or "propertyOrdering"
                    or "minItems" or "maxItems" or "minLength" or "maxLength" or "minProperties" or "maxProperties"
                    or "minimum" or "maximum":
                    p.WriteTo(w);
                    break;
                default:
                    break;
            }
        }
        if (!wroteEnum && schema.Prop("const") is { } constant)
        {
            WriteEnum(w, [constant]);
        }
        if (nullable)
        {
            w.WriteBoolean("nullable", true);
        }
        w.WriteEndObject();
    }

    /// <summary>Writes a single type; returns true when a type array allowed null.</summary>
    private static bool WriteType(Utf8JsonWriter w, JsonElement type)
    {
        if (type.ValueKind == JsonValueKind.String)
        {
            w.WriteString("type", type.GetString());
            return false;
        }
        var nullable = false;
        string? first = null;
        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in type.EnumerateArray())
            {
                var name = t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                if (name == "null")
                {
                    nullable = true;
                }
                else
                {
                    first ??= name;
                }
            }
        }
        if (first is not null)
        {
            w.WriteString("type", first);
        }
        return nullable;
    }

    private static void WriteEnum(Utf8JsonWriter w, IEnumerable<JsonElement> values)
    {
        // Gemini's enum values are strings whatever the type.
        w.WriteStartArray("enum");
        foreach (var v in values)
        {
            if (v.ValueKind == JsonValueKind.String)
            {
                w.WriteStringValue(v.GetString());
            }
            else if (v.ValueKind != JsonValueKind.Null)
            {
                w.WriteStringValue(v.GetRawText());
            }
        }
        w.WriteEndArray();
    }
}
