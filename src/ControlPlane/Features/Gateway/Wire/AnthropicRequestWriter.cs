using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>The canonical <see cref="ChatRequest"/> → an Anthropic Messages request body.</summary>
/// <remarks>
/// Anthropic requires max_tokens: the gateway passes the held allowance (Gateway:DefaultMaxOutputTokens) when the
/// caller set none; 4096 only when translating without one. Temperature is clamped to Anthropic's 0–1 (OpenAI
/// allows up to 2). <c>response_format</c> is dropped: Anthropic has no JSON mode, and rewriting the caller's system
/// prompt to ask for JSON would change their prompt behind their back.
/// </remarks>
internal static class AnthropicRequestWriter
{
    public const int DefaultMaxTokens = 4096;

    public static byte[] Write(ChatRequest request, string model, bool stream) =>
        JsonWire.Build((request, model, stream), static (w, s) => Write(w, s.request, s.model, s.stream));

    private static void Write(Utf8JsonWriter w, ChatRequest r, string model, bool stream)
    {
        w.WriteStartObject();
        w.WriteString("model", model);
        w.WriteNumber("max_tokens", r.MaxTokens ?? DefaultMaxTokens);
        if (r.System.Count == 1)
        {
            w.WriteString("system", r.System[0]);
        }
        else if (r.System.Count > 1)
        {
            w.WriteStartArray("system");
            foreach (var s in r.System)
            {
                WriteText(w, s);
            }
            w.WriteEndArray();
        }
        WriteMessages(w, r.Messages);
        if (r.Stop.Count > 0)
        {
            w.WriteStartArray("stop_sequences");
            foreach (var s in r.Stop)
            {
                w.WriteStringValue(s);
            }
            w.WriteEndArray();
        }
        if (r.Temperature is { } t)
        {
            w.WriteNumber("temperature", Math.Clamp(t, 0, 1));
        }
        if (r.TopP is { } p)
        {
            w.WriteNumber("top_p", p);
        }
        if (r.TopK is { } k)
        {
            w.WriteNumber("top_k", k);
        }
        WriteTools(w, r);
        if (r.User is { } user)
        {
            w.WriteStartObject("metadata");
            w.WriteString("user_id", user);
            w.WriteEndObject();
        }
        w.WriteBoolean("stream", stream);
        w.WriteEndObject();
    }

    private static void WriteMessages(Utf8JsonWriter w, List<ChatMessage> messages)
    {
        w.WriteStartArray("messages");
        // Anthropic takes tool results first in a turn and rejects empty turns.
        foreach (var (role, blocks) in ChatMessage.MergedTurns(messages))
        {
            w.WriteStartObject();
            w.WriteString("role", role == ChatRole.Assistant ? "assistant" : "user");
            w.WriteStartArray("content");
            foreach (var block in blocks)
            {
                WriteBlock(w, block);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteText(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "text");
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    private static void WriteBlock(Utf8JsonWriter w, ContentPart part)
    {
        switch (part)
        {
            case TextPart text:
                WriteText(w, text.Text);
                break;
            case ImagePart image:
                w.WriteStartObject();
                w.WriteString("type", "image");
                w.WriteStartObject("source");
                if (image.Url is { } url)
                {
                    w.WriteString("type", "url");
                    w.WriteString("url", url);
                }
                else
                {
                    w.WriteString("type", "base64");
                    w.WriteString("media_type", image.MediaType);
                    w.WriteString("data", image.Base64Data);
                }
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case ToolCallPart call:
                w.WriteStartObject();
                w.WriteString("type", "tool_use");
                w.WriteString("id", call.Id);
                w.WriteString("name", call.Name);
                w.WritePropertyName("input");
                JsonWire.WriteObjectOrEmpty(w, call.ArgumentsJson);
                w.WriteEndObject();
                break;
            case ToolResultPart result:
                w.WriteStartObject();
                w.WriteString("type", "tool_result");
                w.WriteString("tool_use_id", result.ToolCallId);
                if (result.Content.Length > 0)
                {
                    w.WriteString("content", result.Content);
                }
                if (result.IsError)
                {
                    w.WriteBoolean("is_error", true);
                }
                w.WriteEndObject();
                break;
            default:
                break;
        }
    }

    private static void WriteTools(Utf8JsonWriter w, ChatRequest r)
    {
        if (r.Tools.Count == 0)
        {
            return; // Anthropic rejects tool_choice without tools.
        }
        w.WriteStartArray("tools");
        foreach (var tool in r.Tools)
        {
            w.WriteStartObject();
            w.WriteString("name", tool.Name);
            if (tool.Description is { } d)
            {
                w.WriteString("description", d);
            }
            w.WritePropertyName("input_schema");
            // input_schema is required; a parameterless OpenAI function gets the empty object schema.
            w.WriteRawValue(tool.ParametersJson ?? """{"type":"object","properties":{}}""", skipInputValidation: true);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        var disableParallel = r.ParallelToolCalls == false;
        if (r.ToolChoice is null && !disableParallel)
        {
            return;
        }
        var choice = r.ToolChoice ?? new ToolChoice(ToolChoiceMode.Auto);
        w.WriteStartObject("tool_choice");
        w.WriteString("type", choice.Mode switch
        {
            ToolChoiceMode.None => "none",
            ToolChoiceMode.Required => "any",
            ToolChoiceMode.Function => "tool",
            _ => "auto",
        });
        if (choice.Mode == ToolChoiceMode.Function)
        {
            w.WriteString("name", choice.FunctionName);
        }
        // Anthropic's "none" takes no parallel flag.
        if (disableParallel && choice.Mode != ToolChoiceMode.None)
        {
            w.WriteBoolean("disable_parallel_tool_use", true);
        }
        w.WriteEndObject();
    }
}
