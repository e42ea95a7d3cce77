using System.Globalization;
using System.Text.Json;

namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// The page shape both providers' admin APIs share: <c>{"data": [bucket…], "has_more": bool, "next_page": cursor}</c>,
/// each bucket a time range with <c>results</c>. Field errors name their JSON path (e.g. <c>data[2].results[0].model</c>).
/// </summary>
internal static class BillJson
{
    public static JsonDocument Parse(Stream content)
    {
        try
        {
            return JsonDocument.Parse(content);
        }
        catch (JsonException ex)
        {
            throw new BillFormatException($"Not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message}");
        }
    }

    /// <summary>Each bucket with its path, e.g. ("data[0]", bucket).</summary>
    public static IEnumerable<(string Path, JsonElement Bucket)> Buckets(JsonDocument document)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new BillFormatException("Expected a JSON object with a \"data\" array of buckets (the report's page), which is missing.");
        var i = 0;
        foreach (var bucket in data.EnumerateArray())
        {
            var path = $"data[{i++}]";
            if (bucket.ValueKind != JsonValueKind.Object) throw new BillFormatException($"{path}: a bucket must be an object.");
            yield return (path, bucket);
        }
    }

    public static IEnumerable<(string Path, JsonElement Result)> Results(string bucketPath, JsonElement bucket)
    {
        if (!bucket.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
            throw new BillFormatException($"{bucketPath}.results: missing or not an array.");
        var i = 0;
        foreach (var result in results.EnumerateArray())
        {
            var path = $"{bucketPath}.results[{i++}]";
            if (result.ValueKind != JsonValueKind.Object) throw new BillFormatException($"{path}: a result must be an object.");
            yield return (path, result);
        }
    }

    /// <summary>The paging cursor of a page: <c>next_page</c> when <c>has_more</c> is true, else null.</summary>
    public static string? NextPage(JsonDocument document)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return null;
        var more = root.TryGetProperty("has_more", out var hasMore) && hasMore.ValueKind == JsonValueKind.True;
        return more && root.TryGetProperty("next_page", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
    }

    public static long? Long(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 0) return n;
        throw new BillFormatException($"{path}.{name}: expected a whole number of zero or more, found {value.GetRawText()}.");
    }

    public static string? String(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        throw new BillFormatException($"{path}.{name}: expected a string, found {value.GetRawText()}.");
    }

    public static string RequiredString(JsonElement obj, string name, string path) =>
        String(obj, name, path) is { Length: > 0 } s ? s : throw new BillFormatException($"{path}.{name}: missing.");

    /// <summary>A money amount given as a JSON number or a decimal string, read exactly (never through a double).</summary>
    public static decimal Money(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new BillFormatException($"{path}.{name}: missing.");
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d)) return d;
        if (value.ValueKind == JsonValueKind.String
            && decimal.TryParse(value.GetString(), NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var s)) return s;
        throw new BillFormatException($"{path}.{name}: expected an amount, found {value.GetRawText()}.");
    }

    /// <summary>A bucket's UTC day from a Unix-seconds field (OpenAI's start_time).</summary>
    public static DateOnly UnixDay(JsonElement bucket, string name, string path)
    {
        if (bucket.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds))
            return DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime);
        throw new BillFormatException($"{path}.{name}: expected Unix seconds.");
    }

    /// <summary>A bucket's UTC day from an RFC 3339 field (Anthropic's starting_at).</summary>
    public static DateOnly IsoDay(JsonElement bucket, string name, string path)
    {
        if (bucket.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return DateOnly.FromDateTime(at.UtcDateTime);
        throw new BillFormatException($"{path}.{name}: expected an RFC 3339 time such as 2026-12-01T00:00:00Z.");
    }
}
