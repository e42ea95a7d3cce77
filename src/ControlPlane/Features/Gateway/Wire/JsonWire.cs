using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Small JSON helpers shared by the readers and writers of every wire format.</summary>
internal static class JsonWire
{
    // Relaxed escaping keeps non-ASCII text as UTF-8 instead of \uXXXX: smaller bodies, and these are API
    // payloads, never HTML.
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    public static JsonElement? Prop(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static string? Str(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    public static long? Long(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n : null;

    public static double? Double(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetDouble(out var d) && double.IsFinite(d) ? d : null;

    public static bool? Bool(this JsonElement e, string name) =>
        e.Prop(name) is { } v && (v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.False) ? v.GetBoolean() : null;

    public static int? Int(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out var n) ? n : null;

    public static JsonElement? Array(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Array } v ? v : null;

    public static JsonElement? Object(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Object } v ? v : null;

    /// <summary>Writes <paramref name="json"/> when it is a JSON object, else <c>{}</c>: Anthropic and Gemini take tool
    /// arguments only as objects, and a model's broken argument text must not fail the whole call.</summary>
    public static void WriteObjectOrEmpty(Utf8JsonWriter w, string? json)
    {
        if (IsObject(json))
        {
            w.WriteRawValue(json!, skipInputValidation: true);
        }
        else
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }
    }

    public static bool IsObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return false;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Builds one JSON body with a fresh writer; for whole requests and responses, not per stream event.</summary>
    public static byte[] Build<TState>(TState state, Action<Utf8JsonWriter, TState> write, int sizeHint = 1024)
    {
        var buffer = new ArrayBufferWriter<byte>(sizeHint);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(w, state);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A JSON string literal (quotes included) for splicing into passthrough bytes.</summary>
    public static byte[] QuotedString(string value) =>
        Build(value, static (w, v) => w.WriteStringValue(v), value.Length + 8);
}
