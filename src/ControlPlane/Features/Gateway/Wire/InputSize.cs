using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// What bounds a request's input tokens, measured once at the front door: counts only, no text kept.
/// <see cref="TextBytes"/> is the UTF-8 length of every string the provider will see (as written in JSON, so escapes
/// count at their escaped length, which is never shorter than what they stand for), tool and response-format
/// schemas whole; images are counted, not measured (each provider bills an image by its own formula, see
/// <see cref="InputBound"/>); files, documents and audio by their decoded byte length, or
/// <see cref="ReferencedFiles"/> when only a reference (an id or URL) is sent.
/// </summary>
public readonly record struct InputSize(long TextBytes, int Messages, int Images, long FileBytes, int ReferencedFiles, bool HasTools)
{
    /// <summary>True when nothing was measured (e.g. a caller that built <see cref="RequestInfo"/> by hand).</summary>
    public bool IsEmpty => TextBytes == 0 && Messages == 0 && Images == 0 && FileBytes == 0 && ReferencedFiles == 0;
}

/// <summary>Measures <see cref="InputSize"/> over both front doors' shapes by walking the parsed request once.</summary>
internal static class InputMeasure
{
    public static InputSize Of(JsonElement root)
    {
        var walk = Measure(root, tokenizer: null);
        return new InputSize(walk.Text, walk.Messages, walk.Images, walk.FileBytes, walk.ReferencedFiles, walk.HasTools);
    }

    /// <summary>
    /// Tokens of every string <see cref="Of"/> measures, each counted alone by <paramref name="tokenizer"/> plus one for
    /// its boundary, and OpenAI's documented framing: 3 per message, 1 for a name (always assumed), 3 priming the reply.
    /// Media are not included: the caller adds them from <see cref="InputSize"/>.
    /// </summary>
    public static long TextTokens(ReadOnlySpan<byte> body, Tokenizer tokenizer)
    {
        using var doc = PooledDocument.Parse(body);
        var walk = Measure(doc.Root, tokenizer);
        return walk.Text + walk.Messages * 4L + 3;
    }

    private static Walk Measure(JsonElement root, Tokenizer? tokenizer)
    {
        var walk = new Walk(tokenizer);
        if (root.Prop("tools") is { } tools)
        {
            walk.HasTools = true;
            walk.Raw(tools);
        }
        // OpenAI's legacy functions, structured-output schemas and Anthropic's system prompt are all input too.
        if (root.Prop("functions") is { } functions)
        {
            walk.HasTools = true;
            walk.Raw(functions);
        }
        if (root.Prop("response_format") is { } format) walk.Raw(format);
        if (root.Prop("system") is { } system) walk.Value(system);
        if (root.Array("messages") is { } messages)
        {
            foreach (var m in messages.EnumerateArray())
            {
                walk.Messages++;
                walk.Value(m);
            }
        }
        return walk;
    }

    /// <summary>Decoded length of base64 text (padding and a data: URL prefix allowed for): never less than the data.</summary>
    public static long DecodedLength(ReadOnlySpan<byte> base64) => (base64.Length + 3) / 4 * 3;

    /// <summary>Adds up text as UTF-8 bytes, or as tokens when given a tokenizer.</summary>
    private sealed class Walk(Tokenizer? tokenizer)
    {
        public long Text;
        public int Messages;
        public int Images;
        public long FileBytes;
        public int ReferencedFiles;
        public bool HasTools;

        /// <summary>A value the model reads as JSON (schemas, tool definitions): every byte of it counts.</summary>
        public void Raw(JsonElement value)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value);
            Text += tokenizer is null ? raw.Length : Count(Encoding.UTF8.GetString(raw));
        }

        /// <summary>Every string in a message counts (role, name, content, tool ids, arguments), but media by their own rules.</summary>
        public void Value(JsonElement value)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    Text += tokenizer is null ? JsonMarshal.GetRawUtf8Value(value).Length - 2 : Count(value.GetString()!);
                    break;
                case JsonValueKind.Array:
                    foreach (var item in value.EnumerateArray()) Value(item);
                    break;
                case JsonValueKind.Object:
                    Part(value);
                    break;
                default:
                    break;
            }
        }

        private void Part(JsonElement part)
        {
            switch (part.Str("type"))
            {
                case "image_url" or "image" or "input_image":
                    Images++;
                    return;
                case "input_audio":
                    Media(part.Object("input_audio")?.Prop("data"));
                    return;
                case "file":
                    Media(part.Object("file")?.Prop("file_data"));
                    return;
                case "document":
                    // Anthropic: base64 (PDF) or plain text sources are measured; URL and file-id sources are references.
                    if (part.Object("source") is { } source && source.Str("type") == "text")
                    {
                        Value(source.Prop("data") ?? default);
                        return;
                    }
                    Media(part.Object("source")?.Prop("data"));
                    return;
                case "tool_use" when part.Prop("input") is { } input:
                    Value(part.Prop("name") ?? default);
                    Raw(input);
                    return;
                default:
                    foreach (var property in part.EnumerateObject()) Value(property.Value);
                    return;
            }
        }

        // One more than the string's own tokens: the join with its neighbours can cost a token.
        private int Count(string text) => text.Length == 0 ? 0 : tokenizer!.CountTokens(text) + 1;

        private void Media(JsonElement? data)
        {
            if (data is { ValueKind: JsonValueKind.String } s) FileBytes += DecodedLength(JsonMarshal.GetRawUtf8Value(s));
            else ReferencedFiles++;
        }
    }
}
