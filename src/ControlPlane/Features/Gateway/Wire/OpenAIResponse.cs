using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>OpenAI <c>chat.completion</c> objects: read from a provider, written for the OpenAI front door.</summary>
internal static class OpenAIResponse
{
    public static ChatResponse Read(JsonElement root)
    {
        var response = new ChatResponse { Id = root.Str("id"), Usage = UsageFields.OpenAI(root.Prop("usage")) };
        if (root.Array("choices") is not { } choices)
        {
            return response;
        }
        foreach (var choice in choices.EnumerateArray())
        {
            // One answer is asked for (n is dropped cross-format); the first choice is it.
            response.Stop = StopReasons.FromOpenAI(choice.Str("finish_reason"));
            var message = choice.Object("message");
            var text = OpenAIRequestReader.JoinedText(message?.Prop("content"));
            if (text.Length == 0 && message?.Str("refusal") is { } refusal)
            {
                text = refusal;
            }
            if (text.Length > 0)
            {
                response.Content.Add(new TextPart(text));
            }
            if (message?.Array("tool_calls") is { } calls)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    var f = call.Object("function");
                    response.Content.Add(new ToolCallPart(call.Str("id") ?? "", f?.Str("name") ?? "", f?.Str("arguments") ?? "{}"));
                }
            }
            break;
        }
        return response;
    }

    public static byte[] Write(ChatResponse response, StopKind stop, string model) =>
        JsonWire.Build((response, stop, model), static (w, s) => Write(w, s.response, s.stop, s.model));

    private static void Write(Utf8JsonWriter w, ChatResponse r, StopKind stop, string model)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id ?? NewId());
        w.WriteString("object", "chat.completion");
        w.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        w.WriteString("model", model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        string? text = null;
        foreach (var part in r.Content)
        {
            if (part is TextPart t)
            {
                text = text is null ? t.Text : text + t.Text;
            }
        }
        // OpenAI sends content null beside tool calls, "" when there was nothing at all.
        if (text is null && r.HasToolCalls)
        {
            w.WriteNull("content");
        }
        else
        {
            w.WriteString("content", text ?? "");
        }
        w.WriteNull("refusal");
        if (r.HasToolCalls)
        {
            w.WriteStartArray("tool_calls");
            foreach (var part in r.Content)
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
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", StopReasons.To(WireFormat.OpenAIChat, stop));
        w.WriteEndObject();
        w.WriteEndArray();
        if (r.Usage is { } usage)
        {
            UsageFields.WriteOpenAI(w, usage);
        }
        w.WriteEndObject();
    }

    public static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N");
}
