using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// Same-format rewrites done on the bytes: only the spans that change are replaced, everything else the caller or
/// provider sent is copied as it was (field order, number formatting, unknown fields, whitespace).
/// </summary>
internal static class JsonSplice
{
    private readonly record struct Edit(int Start, int End, byte[] Replacement);

    private static readonly byte[] True = "true"u8.ToArray();
    private static readonly byte[] False = "false"u8.ToArray();
    private static readonly byte[] IncludeUsageObject = """{"include_usage":true}"""u8.ToArray();

    /// <summary>
    /// Top-level <c>model</c> → <paramref name="quotedModel"/>. With <paramref name="stream"/> set, the <c>stream</c>
    /// flag is made to say so; with <paramref name="includeUsage"/>, <c>stream_options.include_usage</c> is made true
    /// (other stream_options keys kept). With <paramref name="outputCap"/>, a body that sets neither max_tokens nor
    /// max_completion_tokens gets that field with that value (a caller's own cap is kept as it is).
    /// </summary>
    public static byte[] Rewrite(ReadOnlySpan<byte> body, byte[] quotedModel, bool? stream = null, bool includeUsage = false, (string Field, long Value)? outputCap = null)
    {
        var edits = new List<Edit>(4);
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The body is not a JSON object.");
        }
        var hasProperties = false;
        var sawStream = false;
        var sawStreamOptions = false;
        var sawCap = false;
        var close = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
            {
                close = (int)reader.TokenStartIndex;
                break;
            }
            hasProperties = true;
            var isModel = reader.ValueTextEquals("model"u8);
            var isStream = stream.HasValue && reader.ValueTextEquals("stream"u8);
            var isOptions = includeUsage && reader.ValueTextEquals("stream_options"u8);
            var isCap = outputCap.HasValue && reader.CurrentDepth == 1 && (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8));
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            if (isOptions && reader.TokenType == JsonTokenType.StartObject)
            {
                sawStreamOptions = true;
                edits.Add(IncludeUsageEdit(ref reader, start));
                continue;
            }
            var kind = reader.TokenType;
            reader.Skip();
            var end = (int)reader.BytesConsumed;
            if (isCap)
            {
                sawCap = true;
                if (kind == JsonTokenType.Null)
                {
                    // "max_tokens": null means no cap: the held one goes in its place.
                    edits.Add(new Edit(start, end, System.Text.Encoding.UTF8.GetBytes(outputCap!.Value.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))));
                }
            }
            else if (isModel)
            {
                edits.Add(new Edit(start, end, quotedModel));
            }
            else if (isStream)
            {
                sawStream = true;
                var wanted = stream!.Value ? JsonTokenType.True : JsonTokenType.False;
                if (kind != wanted)
                {
                    edits.Add(new Edit(start, end, stream.Value ? True : False));
                }
            }
            else if (isOptions)
            {
                sawStreamOptions = true;
                edits.Add(new Edit(start, end, IncludeUsageObject)); // null or junk: replaced whole
            }
        }
        var comma = hasProperties ? ","u8 : ""u8;
        if (stream == true && !sawStream)
        {
            edits.Add(new Edit(close, close, [.. comma, .. "\"stream\":true"u8]));
            comma = ","u8;
        }
        if (includeUsage && !sawStreamOptions)
        {
            edits.Add(new Edit(close, close, [.. comma, .. "\"stream_options\":"u8, .. IncludeUsageObject]));
            comma = ","u8;
        }
        if (outputCap is { } cap && !sawCap)
        {
            edits.Add(new Edit(close, close, [.. comma, .. System.Text.Encoding.UTF8.GetBytes($"\"{cap.Field}\":{cap.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}")]));
        }
        return Apply(body, edits);
    }

    /// <summary>Inside a stream_options object: set include_usage to true, adding it when absent.</summary>
    private static Edit IncludeUsageEdit(ref Utf8JsonReader reader, int objectStart)
    {
        var depth = reader.CurrentDepth;
        Edit? edit = null;
        var empty = true;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            empty = false;
            var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (isIncludeUsage)
            {
                edit = new Edit(start, (int)reader.BytesConsumed, True);
            }
        }
        var afterBrace = objectStart + 1;
        return edit ?? new Edit(afterBrace, afterBrace, empty ? "\"include_usage\":true"u8.ToArray() : "\"include_usage\":true,"u8.ToArray());
    }

    private static byte[] Apply(ReadOnlySpan<byte> body, List<Edit> edits)
    {
        var length = body.Length;
        foreach (var e in edits)
        {
            length += e.Replacement.Length - (e.End - e.Start);
        }
        var result = new byte[length];
        var from = 0;
        var to = 0;
        foreach (var e in edits)
        {
            body[from..e.Start].CopyTo(result.AsSpan(to));
            to += e.Start - from;
            e.Replacement.CopyTo(result.AsSpan(to));
            to += e.Replacement.Length;
            from = e.End;
        }
        body[from..].CopyTo(result.AsSpan(to));
        return result;
    }
}
