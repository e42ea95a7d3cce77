using System.Text;
using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>The canonical <see cref="ChatRequest"/> → an OpenAI Chat Completions request body.</summary>
/// <remarks>
/// Max tokens go out as <c>max_tokens</c>, which every OpenAI-compatible server understands, but as
/// <c>max_completion_tokens</c> for OpenAI's reasoning models (o-series, gpt-5), which refuse <c>max_tokens</c>.
/// Dropped: Anthropic's <c>top_k</c> and a tool result's <c>is_error</c> flag (OpenAI has neither).
/// </remarks>
internal static class OpenAIRequestWriter
{
    public static byte[] Write(ChatRequest request, string model, bool stream) =>
        JsonWire.Build((request, model, stream), static (w, s) => Write(w, s.request, s.model, s.stream));

    private static void Write(Utf8JsonWriter w, ChatRequest r, string model, bool stream)
    {
        w.WriteStartObject();
        w.WriteString("model", model);
        w.WriteStartArray("messages");
        foreach (var system in r.System)
        {
            w.WriteStartObject();
            w.WriteString("role", "system");
            w.WriteString("content", system);
            w.WriteEndObject();
        }
        foreach (var m in r.Messages)
        {
            if (m.Role == ChatRole.Assistant)
            {
                WriteAssistant(w, m);
            }
            else
            {
                WriteUser(w, m);
            }
        }
        w.WriteEndArray();

        if (r.MaxTokens is { } max)
        {
            w.WriteNumber(OpenAIEncodings.WantsMaxCompletionTokens(model) ? "max_completion_tokens" : "max_tokens", max);
        }
        if (r.Temperature is { } t)
        {
            w.WriteNumber("temperature", t);
        }
        if (r.TopP is { } p)
        {
            w.WriteNumber("top_p", p);
        }
        if (r.Stop.Count > 0)
        {
            w.WriteStartArray("stop");
            foreach (var s in r.Stop)
            {
                w.WriteStringValue(s);
            }
            w.WriteEndArray();
        }
        WriteTools(w, r);
        WriteResponseFormat(w, r.ResponseFormat);
        if (r.User is { } user)
        {
            w.WriteString("user", user);
        }
        w.WriteBoolean("stream", stream);
        if (stream)
        {
            // Usage arrives only in a final chunk, and only when asked for: metering depends on it.
            w.WriteStartObject("stream_options");
            w.WriteBoolean("include_usage", true);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteUser(Utf8JsonWriter w, ChatMessage m)
    {
        // Tool results are separate "tool" messages and must directly follow the assistant's calls.
        var others = 0;
        foreach (var part in m.Parts)
        {
            if (part is ToolResultPart result)
            {
                w.WriteStartObject();
                w.WriteString("role", "tool");
                w.WriteString("tool_call_id", result.ToolCallId);
                w.WriteString("content", result.Content);
                w.WriteEndObject();
            }
            else
            {
                others++;
            }
        }
        if (others == 0)
        {
            return;
        }
        w.WriteStartObject();
        w.WriteString("role", "user");
        if (others == 1 && m.Parts.Find(static p => p is not ToolResultPart) is TextPart only)
        {
            w.WriteString("content", only.Text);
        }
        else
        {
            w.WriteStartArray("content");
            foreach (var part in m.Parts)
            {
                WriteContentPart(w, part);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteContentPart(Utf8JsonWriter w, ContentPart part)
    {
        switch (part)
        {
            case TextPart text:
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", text.Text);
                w.WriteEndObject();
                break;
            case ImagePart image:
                w.WriteStartObject();
                w.WriteString("type", "image_url");
                w.WriteStartObject("image_url");
                w.WriteString("url", image.Url ?? $"data:{image.MediaType};base64,{image.Base64Data}");
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            default:
                break;
        }
    }

    private static void WriteAssistant(Utf8JsonWriter w, ChatMessage m)
    {
        w.WriteStartObject();
        w.WriteString("role", "assistant");
        var text = new StringBuilder();
        var calls = 0;
        foreach (var part in m.Parts)
        {
            if (part is TextPart t)
            {
                text.Append(t.Text);
            }
            else if (part is ToolCallPart)
            {
                calls++;
            }
        }
        if (text.Length > 0 || calls == 0)
        {
            w.WriteString("content", text.ToString());
        }
        else
        {
            w.WriteNull("content");
        }
        if (calls > 0)
        {
            w.WriteStartArray("tool_calls");
            foreach (var part in m.Parts)
            {
                if (part is ToolCallPart call)
                {
                    w.WriteStartObject();
                    w.WriteString("id", call.Id);
                    w.WriteString("type", "function");
                    w.WriteStartObject("function");
                    w.WriteString("name", call.Name);
                    w.WriteString("arguments", call.ArgumentsJson);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter w, ChatRequest r)
    {
        if (r.Tools.Count > 0)
        {
            w.WriteStartArray("tools");
            foreach (var tool in r.Tools)
            {
                w.WriteStartObject();
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", tool.Name);
                if (tool.Description is { } d)
                {
                    w.WriteString("description", d);
                }
                if (tool.ParametersJson is { } p)
                {
                    w.WritePropertyName("parameters");
                    w.WriteRawValue(p, skipInputValidation: true);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        // OpenAI rejects tool_choice and parallel_tool_calls without tools.
        switch (r.Tools.Count > 0 ? r.ToolChoice : null)
        {
            case { Mode: ToolChoiceMode.Function, FunctionName: { } name }:
                w.WriteStartObject("tool_choice");
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", name);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case { Mode: var mode }:
                w.WriteString("tool_choice", mode switch
                {
                    ToolChoiceMode.None => "none",
                    ToolChoiceMode.Required => "required",
                    _ => "auto",
                });
                break;
            default:
                break;
        }
        if (r.ParallelToolCalls is { } parallel && r.Tools.Count > 0)
        {
            w.WriteBoolean("parallel_tool_calls", parallel);
        }
    }

    private static void WriteResponseFormat(Utf8JsonWriter w, ResponseFormat? format)
    {
        if (format is null)
        {
            return;
        }
        w.WriteStartObject("response_format");
        switch (format.Kind)
        {
            case ResponseFormatKind.JsonObject:
                w.WriteString("type", "json_object");
                break;
            case ResponseFormatKind.JsonSchema:
                w.WriteString("type", "json_schema");
                w.WriteStartObject("json_schema");
                w.WriteString("name", format.Name ?? "response");
                if (format.SchemaJson is { } schema)
                {
                    w.WritePropertyName("schema");
                    w.WriteRawValue(schema, skipInputValidation: true);
                }
                w.WriteEndObject();
                break;
            default:
                w.WriteString("type", "text");
                break;
        }
        w.WriteEndObject();
    }
}
