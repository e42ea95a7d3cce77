using System.Text.Json;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// Sets top-level fields of a JSON request body on the bytes, copying everything else as it was (as the gateway's
/// JsonSplice does for the model): a field present is replaced, a missing one is added when asked to.
/// </summary>
public static class TopLevelFields
{
    /// <summary>
    /// One field to set: its name, its new value as raw JSON, whether to add it when the body lacks it, and a field
    /// whose presence means it is not added (e.g. max_tokens is not added beside a max_completion_tokens).
    /// </summary>
    public readonly record struct Edit(string Name, byte[] Json, bool AddIfMissing = true, string? UnlessPresent = null);

    /// <exception cref="JsonException">The body is not a JSON object.</exception>
    public static byte[] Set(ReadOnlySpan<byte> body, IReadOnlyList<Edit> edits)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("The body is not a JSON object.");
        var spans = new List<(int Start, int End, byte[] Json)>(edits.Count);
        var seen = new bool[edits.Count];
        var hasProperties = false;
        var close = -1;
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
            {
                close = (int)reader.TokenStartIndex;
                break;
            }
            hasProperties = true;
            if (reader.CurrentDepth == 1 && edits.Any(e => e.UnlessPresent is not null)) names.Add(reader.GetString()!);
            var index = -1;
            for (var i = 0; i < edits.Count; i++)
                if (reader.ValueTextEquals(edits[i].Name)) index = i;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (index >= 0)
            {
                seen[index] = true;
                spans.Add((start, (int)reader.BytesConsumed, edits[index].Json));
            }
        }
        if (close < 0) throw new JsonException("The body is not a complete JSON object.");
        var added = new List<byte>();
        for (var i = 0; i < edits.Count; i++)
        {
            if (seen[i] || !edits[i].AddIfMissing || (edits[i].UnlessPresent is { } other && names.Contains(other))) continue;
            if (hasProperties || added.Count > 0) added.Add((byte)',');
            added.AddRange(JsonEncodedText.Encode(edits[i].Name).EncodedUtf8Bytes.ToArray().Prepend((byte)'"').Append((byte)'"'));
            added.Add((byte)':');
            added.AddRange(edits[i].Json);
        }
        if (added.Count > 0) spans.Add((close, close, [.. added]));

        var output = new List<byte>(body.Length + 64);
        var from = 0;
        foreach (var (start, end, json) in spans.OrderBy(s => s.Start))
        {
            output.AddRange(body[from..start]);
            output.AddRange(json);
            from = end;
        }
        output.AddRange(body[from..]);
        return [.. output];
    }
}
