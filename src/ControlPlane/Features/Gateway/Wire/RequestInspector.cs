using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// Checks a front-door request the way the provider would (so callers get the error before a hold is taken) and
/// reads what routing, holds and limits need. Deeper checks (content shapes) are left to the provider.
/// </summary>
internal static class RequestInspector
{
    private const int TokensPerImage = 1000;
    private const int CharactersPerToken = 4;
    private const int MaxChoices = 128;

    public static bool TryInspect(ReadOnlySpan<byte> body, WireFormat frontDoor, out RequestInfo? info, out WireError? error)
    {
        if (frontDoor == WireFormat.GeminiGenerateContent)
        {
            throw new ArgumentOutOfRangeException(nameof(frontDoor), frontDoor, "Gemini is a provider wire, not a front door.");
        }
        info = null;
        if (body.IsEmpty || body.Trim(" \t\r\n"u8).IsEmpty)
        {
            error = Invalid("The request body is empty: send a JSON object.");
            return false;
        }
        PooledDocument doc;
        try
        {
            doc = PooledDocument.Parse(body);
        }
        catch (JsonException e)
        {
            error = Invalid(e.LineNumber is { } line && e.BytePositionInLine is { } position
                ? $"The request body is not valid JSON (line {line + 1}, byte offset {position})."
                : "The request body is not valid JSON.");
            return false;
        }
        using (doc)
        {
            error = frontDoor == WireFormat.AnthropicMessages ? ValidateAnthropic(doc.Root) : ValidateOpenAI(doc.Root);
            if (error is not null)
            {
                return false;
            }
            info = frontDoor == WireFormat.AnthropicMessages ? InspectAnthropic(doc.Root) : InspectOpenAI(doc.Root);
            return true;
        }
    }

    private static WireError Invalid(string message, string? param = null) => new(400, "invalid_request_error", message, param);

    private static WireError? ValidateCommon(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Invalid("The request body must be a JSON object.");
        }
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || model.GetString()!.Length == 0)
        {
            return Invalid("You must provide a model parameter (a non-empty string).", "model");
        }
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return Invalid("You must provide messages: a non-empty array.", "messages");
        }
        var i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || m.Str("role") is null)
            {
                return Invalid($"messages[{i}] must be an object with a string role.", $"messages[{i}].role");
            }
            i++;
        }
        return Optional(root, "stream", JsonValueKind.True, JsonValueKind.False, "a boolean")
            ?? PositiveInteger(root, "max_tokens")
            ?? FiniteNumber(root, "temperature")
            ?? FiniteNumber(root, "top_p")
            ?? Optional(root, "tools", JsonValueKind.Array, JsonValueKind.Array, "an array");
    }

    private static WireError? ValidateOpenAI(JsonElement root) =>
        ValidateCommon(root)
        ?? PositiveInteger(root, "max_completion_tokens")
        ?? FiniteNumber(root, "frequency_penalty")
        ?? FiniteNumber(root, "presence_penalty")
        ?? FiniteNumber(root, "seed")
        ?? Choices(root)
        ?? Optional(root, "user", JsonValueKind.String, JsonValueKind.String, "a string")
        ?? Optional(root, "stream_options", JsonValueKind.Object, JsonValueKind.Object, "an object")
        ?? Optional(root, "response_format", JsonValueKind.Object, JsonValueKind.Object, "an object")
        ?? StringOrStrings(root, "stop", allowSingle: true);

    private static WireError? ValidateAnthropic(JsonElement root)
    {
        if (ValidateCommon(root) is { } error)
        {
            return error;
        }
        if (root.Prop("max_tokens") is null)
        {
            return Invalid("max_tokens is required: the most tokens the answer may have (a positive integer).", "max_tokens");
        }
        var i = 0;
        foreach (var m in root.GetProperty("messages").EnumerateArray())
        {
            if (m.Str("role") is not ("user" or "assistant"))
            {
                return Invalid($"messages[{i}].role must be \"user\" or \"assistant\"; put system prompts in the top-level system field.", $"messages[{i}].role");
            }
            i++;
        }
        if (root.Prop("system") is { ValueKind: not (JsonValueKind.String or JsonValueKind.Array) })
        {
            return Invalid("system must be a string or an array of text blocks.", "system");
        }
        if (root.Prop("metadata") is { } metadata)
        {
            if (metadata.ValueKind != JsonValueKind.Object)
            {
                return Invalid("metadata must be an object.", "metadata");
            }
            if (metadata.Prop("user_id") is { ValueKind: not JsonValueKind.String })
            {
                return Invalid("metadata.user_id must be a string.", "metadata.user_id");
            }
        }
        return FiniteNumber(root, "top_k")
            ?? StringOrStrings(root, "stop_sequences", allowSingle: false);
    }

    /// <summary>An optional field (absent or null is fine) of one or two JSON kinds.</summary>
    private static WireError? Optional(JsonElement root, string name, JsonValueKind kind, JsonValueKind other, string what) =>
        root.Prop(name) is { } v && v.ValueKind != kind && v.ValueKind != other ? Invalid($"{name} must be {what}.", name) : null;

    /// <summary>
    /// An optional number that fits a double: JSON allows 1e999, which no double holds (reading it throws), so it is
    /// the caller's error (400), never ours (500).
    /// </summary>
    private static WireError? FiniteNumber(JsonElement root, string name) =>
        root.Prop(name) is { } v && !(v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d))
            ? Invalid($"{name} must be a finite number.", name)
            : null;

    private static WireError? PositiveInteger(JsonElement root, string name) =>
        root.Prop(name) is { } v && !(v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n > 0)
            ? Invalid($"{name} must be a positive integer.", name)
            : null;

    /// <summary>OpenAI's n: 1 to 128 answers.</summary>
    private static WireError? Choices(JsonElement root) =>
        root.Prop("n") is { } v && !(v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n is > 0 and <= MaxChoices)
            ? Invalid($"n must be an integer from 1 to {MaxChoices}.", "n")
            : null;

    private static WireError? StringOrStrings(JsonElement root, string name, bool allowSingle)
    {
        if (root.Prop(name) is not { } v || (allowSingle && v.ValueKind == JsonValueKind.String))
        {
            return null;
        }
        if (v.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in v.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    return Invalid($"{name} must hold only strings.", name);
                }
            }
            return null;
        }
        return Invalid(allowSingle ? $"{name} must be a string or an array of strings." : $"{name} must be an array of strings.", name);
    }

    private static RequestInfo InspectOpenAI(JsonElement root)
    {
        var tally = new Tally();
        tally.Tools(root.Array("tools"));
        foreach (var m in root.GetProperty("messages").EnumerateArray())
        {
            tally.Content(m.Prop("content"));
            if (m.Array("tool_calls") is { } calls)
            {
                tally.UsesTools = true;
                foreach (var call in calls.EnumerateArray())
                {
                    tally.Text(call.Object("function")?.Prop("name"));
                    tally.Text(call.Object("function")?.Prop("arguments"));
                }
            }
            if (m.Str("role") == "tool")
            {
                tally.UsesTools = true;
            }
        }
        return new RequestInfo(
            root.GetProperty("model").GetString()!,
            root.Bool("stream") ?? false,
            root.Int("max_completion_tokens") ?? root.Int("max_tokens"),
            root.Str("user"),
            tally.EstimatedTokens,
            tally.UsesTools,
            tally.Images > 0)
        {
            Input = InputMeasure.Of(root),
            Choices = root.Int("n") ?? 1,
        };
    }

    private static RequestInfo InspectAnthropic(JsonElement root)
    {
        var tally = new Tally();
        tally.Tools(root.Array("tools"));
        tally.Content(root.Prop("system"));
        foreach (var m in root.GetProperty("messages").EnumerateArray())
        {
            tally.Content(m.Prop("content"));
        }
        return new RequestInfo(
            root.GetProperty("model").GetString()!,
            root.Bool("stream") ?? false,
            root.Int("max_tokens"),
            root.Object("metadata")?.Str("user_id"),
            tally.EstimatedTokens,
            tally.UsesTools,
            tally.Images > 0)
        {
            Input = InputMeasure.Of(root),
        };
    }

    /// <summary>Counts characters and images over both wires' content shapes without copying strings out.</summary>
    private sealed class Tally
    {
        public long Characters;
        public int Images;
        public bool UsesTools;

        public long EstimatedTokens => (Characters + CharactersPerToken - 1) / CharactersPerToken + (long)Images * TokensPerImage;

        public void Text(JsonElement? value)
        {
            if (value is { ValueKind: JsonValueKind.String } s)
            {
                // Raw bytes with quotes: an estimate, so escapes counted as written are fine.
                Characters += Encoding.UTF8.GetCharCount(JsonMarshal.GetRawUtf8Value(s)) - 2;
            }
        }

        public void Tools(JsonElement? tools)
        {
            if (tools is not { } array)
            {
                return;
            }
            foreach (var tool in array.EnumerateArray())
            {
                UsesTools = true;
                Characters += Encoding.UTF8.GetCharCount(JsonMarshal.GetRawUtf8Value(tool));
            }
        }

        /// <summary>A string, or an array of OpenAI parts / Anthropic blocks (tool results recursed into).</summary>
        public void Content(JsonElement? content)
        {
            if (content is { ValueKind: JsonValueKind.String })
            {
                Text(content);
                return;
            }
            if (content is not { ValueKind: JsonValueKind.Array } array)
            {
                return;
            }
            foreach (var part in array.EnumerateArray())
            {
                switch (part.Str("type"))
                {
                    case "text":
                        Text(part.Prop("text"));
                        break;
                    case "image_url" or "image":
                        Images++;
                        break;
                    case "tool_use":
                        UsesTools = true;
                        Text(part.Prop("name"));
                        if (part.Prop("input") is { } input)
                        {
                            Characters += Encoding.UTF8.GetCharCount(JsonMarshal.GetRawUtf8Value(input));
                        }
                        break;
                    case "tool_result":
                        UsesTools = true;
                        Content(part.Prop("content"));
                        break;
                    default:
                        break;
                }
            }
        }
    }
}
