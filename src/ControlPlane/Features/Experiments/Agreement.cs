using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// How far two answers agree, cheaply: exactly; as normalised text (case, spacing, Unicode form and a final full stop
/// ignored); and for structured output, the share of JSON fields (leaf paths, over both answers) with equal values.
/// <see cref="Matched"/> is the verdict a report counts: every field equal when both are JSON, else the normalised texts.
/// </summary>
public sealed record Agreement(bool Exact, bool Normalised, decimal? JsonFields)
{
    public bool Matched => JsonFields is { } share ? share == 1m : Normalised;

    public static Agreement Of(string? primary, string? shadow)
    {
        if (primary is null || shadow is null) return new(false, false, null);
        var exact = string.Equals(primary, shadow, StringComparison.Ordinal);
        var normalised = exact || string.Equals(Normalise(primary), Normalise(shadow), StringComparison.Ordinal);
        return new(exact, normalised, JsonFieldShare(primary, shadow));
    }

    public static string Normalise(string text)
    {
        var folded = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var result = new StringBuilder(folded.Length);
        var space = false;
        foreach (var c in folded)
        {
            if (char.IsWhiteSpace(c))
            {
                space = result.Length > 0;
                continue;
            }
            if (space) result.Append(' ');
            space = false;
            result.Append(c);
        }
        while (result.Length > 0 && result[^1] is '.' or '!') result.Length--;
        return result.ToString();
    }

    /// <summary>Equal leaves ÷ leaves of either answer; null unless both are JSON objects or arrays.</summary>
    public static decimal? JsonFieldShare(string primary, string shadow)
    {
        var a = Leaves(primary);
        var b = Leaves(shadow);
        if (a is null || b is null) return null;
        var paths = a.Keys.Union(b.Keys).ToList();
        if (paths.Count == 0) return 1m;
        var equal = paths.Count(p => a.TryGetValue(p, out var x) && b.TryGetValue(p, out var y) && x == y);
        return Math.Round((decimal)equal / paths.Count, 4);
    }

    private static Dictionary<string, string>? Leaves(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed[0] is not ('{' or '[')) return null;
        try
        {
            using var doc = JsonDocument.Parse(trimmed);
            var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
            Walk(doc.RootElement, "$", leaves);
            return leaves;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Walk(JsonElement e, string path, Dictionary<string, string> leaves)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Walk(p.Value, $"{path}.{p.Name}", leaves);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray()) Walk(item, $"{path}[{i++}]", leaves);
                break;
            case JsonValueKind.Number:
                // 1.0 and 1 are the same value.
                leaves[path] = e.TryGetDecimal(out var d) ? d.ToString("G29", CultureInfo.InvariantCulture) : e.GetRawText();
                break;
            case JsonValueKind.String:
                leaves[path] = "s:" + e.GetString();
                break;
            default:
                leaves[path] = e.GetRawText();
                break;
        }
    }
}
