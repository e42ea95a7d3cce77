using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>The canonical <see cref="ChatRequest"/> → a Gemini generateContent request body.</summary>
/// <remarks>
/// The model and streaming are not in a Gemini body (they are in the URL: <c>models/{model}:generateContent</c> or
/// <c>:streamGenerateContent?alt=sse</c>), so the caller of this writer builds the URL. Gemini has no tool-call
/// ids: calls and results are matched by function name. Dropped: the end user, <c>parallel_tool_calls</c>.
/// </remarks>
internal static class GeminiRequestWriter
{
    public static byte[] Write(ChatRequest request) => JsonWire.Build(request, static (w, r) => Write(w, r));

    private static void Write(Utf8JsonWriter w, ChatRequest r)
    {
        w.WriteStartObject();
        WriteContents(w, r.Messages);
        if (r.System.Count > 0)
        {
            w.WriteStartObject("systemInstruction");
            w.WriteStartArray("parts");
            foreach (var s in r.System)
            {
                w.WriteStartObject();
                w.WriteString("text", s);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        WriteTools(w, r);
        WriteGenerationConfig(w, r);
        w.WriteEndObject();
    }

    private static void WriteContents(Utf8JsonWriter w, List<ChatMessage> messages)
    {
        w.WriteStartArray("contents");
        // Gemini wants turns to alternate, function responses first.
        foreach (var (role, parts) in ChatMessage.MergedTurns(messages))
        {
            w.WriteStartObject();
            w.WriteString("role", role == ChatRole.Assistant ? "model" : "user");
            w.WriteStartArray("parts");
            foreach (var part in parts)
            {
                WritePart(w, part);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WritePart(Utf8JsonWriter w, ContentPart part)
    {
        w.WriteStartObject();
        switch (part)
        {
            case TextPart text:
                w.WriteString("text", text.Text);
                break;
            case ImagePart { Url: { } url }:
                w.WriteStartObject("fileData");
                if (MediaTypeOf(url) is { } mime)
                {
                    w.WriteString("mimeType", mime);
                }
                w.WriteString("fileUri", url);
                w.WriteEndObject();
                break;
            case ImagePart image:
                w.WriteStartObject("inlineData");
                w.WriteString("mimeType", image.MediaType);
                w.WriteString("data", image.Base64Data);
                w.WriteEndObject();
                break;
            case ToolCallPart call:
                w.WriteStartObject("functionCall");
                w.WriteString("name", call.Name);
                w.WritePropertyName("args");
                JsonWire.WriteObjectOrEmpty(w, call.ArgumentsJson);
                w.WriteEndObject();
                break;
            case ToolResultPart result:
                w.WriteStartObject("functionResponse");
                // An unmatched result still needs a name; its call id is the best label left.
                w.WriteString("name", result.Name ?? result.ToolCallId);
                w.WritePropertyName("response");
                // response must be an object: a JSON-object result goes as is, any other text is wrapped.
                if (!result.IsError && JsonWire.IsObject(result.Content))
                {
                    w.WriteRawValue(result.Content, skipInputValidation: true);
                }
                else
                {
                    w.WriteStartObject();
                    w.WriteString(result.IsError ? "error" : "result", result.Content);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                break;
            default:
                break;
        }
        w.WriteEndObject();
    }

    /// <summary>fileData wants a MIME type; guessed from the URL's extension for the common image types.</summary>
    internal static string? MediaTypeOf(string url)
    {
        var path = url.AsSpan();
        var cut = path.IndexOfAny('?', '#');
        if (cut >= 0)
        {
            path = path[..cut];
        }
        return Path.GetExtension(path) switch
        {
            var e when e.Equals(".png", StringComparison.OrdinalIgnoreCase) => "image/png",
            var e when e.Equals(".jpg", StringComparison.OrdinalIgnoreCase) || e.Equals(".jpeg", StringComparison.OrdinalIgnoreCase) => "image/jpeg",
            var e when e.Equals(".gif", StringComparison.OrdinalIgnoreCase) => "image/gif",
            var e when e.Equals(".webp", StringComparison.OrdinalIgnoreCase) => "image/webp",
            _ => null,
        };
    }

    private static void WriteTools(Utf8JsonWriter w, ChatRequest r)
    {
        if (r.Tools.Count == 0)
        {
            return;
        }
        w.WriteStartArray("tools");
        w.WriteStartObject();
        w.WriteStartArray("functionDeclarations");
        foreach (var tool in r.Tools)
        {
            w.WriteStartObject();
            w.WriteString("name", tool.Name);
            if (tool.Description is { } d)
            {
                w.WriteString("description", d);
            }
            if (tool.ParametersJson is { } json)
            {
                using var schema = JsonDocument.Parse(json);
                if (GeminiSchema.HasProperties(schema.RootElement))
                {
                    w.WritePropertyName("parameters");
                    GeminiSchema.Write(w, schema.RootElement);
                }
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();

        if (r.ToolChoice is not { } choice)
        {
            return;
        }
        w.WriteStartObject("toolConfig");
        w.WriteStartObject("functionCallingConfig");
        w.WriteString("mode", choice.Mode switch
        {
            ToolChoiceMode.None => "NONE",
            ToolChoiceMode.Required or ToolChoiceMode.Function => "ANY",
            _ => "AUTO",
        });
        if (choice is { Mode: ToolChoiceMode.Function, FunctionName: { } name })
        {
            w.WriteStartArray("allowedFunctionNames");
            w.WriteStringValue(name);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteGenerationConfig(Utf8JsonWriter w, ChatRequest r)
    {
        var format = r.ResponseFormat?.Kind is ResponseFormatKind.JsonObject or ResponseFormatKind.JsonSchema ? r.ResponseFormat : null;
        if (r.MaxTokens is null && r.Temperature is null && r.TopP is null && r.TopK is null && r.Stop.Count == 0 && format is null)
        {
            return;
        }
        w.WriteStartObject("generationConfig");
        if (r.MaxTokens is { } max)
        {
            w.WriteNumber("maxOutputTokens", max);
        }
        if (r.Temperature is { } t)
        {
            w.WriteNumber("temperature", t);
        }
        if (r.TopP is { } p)
        {
            w.WriteNumber("topP", p);
        }
        if (r.TopK is { } k)
        {
            w.WriteNumber("topK", k);
        }
        if (r.Stop.Count > 0)
        {
            w.WriteStartArray("stopSequences");
            foreach (var s in r.Stop)
            {
                w.WriteStringValue(s);
            }
            w.WriteEndArray();
        }
        if (format is not null)
        {
            w.WriteString("responseMimeType", "application/json");
            if (format is { Kind: ResponseFormatKind.JsonSchema, SchemaJson: { } json })
            {
                using var schema = JsonDocument.Parse(json);
                w.WritePropertyName("responseSchema");
                GeminiSchema.Write(w, schema.RootElement);
            }
        }
        w.WriteEndObject();
    }
}
