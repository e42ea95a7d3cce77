using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Anthropic <c>message</c> objects: read from a provider, written for the Anthropic front door.</summary>
internal static class AnthropicResponse
{
    public static ChatResponse Read(JsonElement root)
    {
        var response = new ChatResponse
        {
            Id = root.Str("id"),
            Stop = StopReasons.FromAnthropic(root.Str("stop_reason")),
            Usage = UsageFields.Anthropic(root.Prop("usage")),
        };
        if (root.Array("content") is { } blocks)
        {
            foreach (var block in blocks.EnumerateArray())
            {
                switch (block.Str("type"))
                {
                    case "text":
                        response.Content.Add(new TextPart(block.Str("text") ?? ""));
                        break;
                    case "tool_use":
                        response.Content.Add(new ToolCallPart(block.Str("id") ?? "", block.Str("name") ?? "", block.Object("input")?.GetRawText() ?? "{}"));
                        break;
                    default:
                        break; // thinking blocks and server-tool results have no counterpart
                }
            }
        }
        return response;
    }

    public static byte[] Write(ChatResponse response, StopKind stop, string model) =>
        JsonWire.Build((response, stop, model), static (w, s) => Write(w, s.response, s.stop, s.model));

    private static void Write(Utf8JsonWriter w, ChatResponse r, StopKind stop, string model)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id ?? NewId());
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", model);
        w.WriteStartArray("content");
        foreach (var part in r.Content)
        {
            switch (part)
            {
                case TextPart { Text.Length: > 0 } text:
                    w.WriteStartObject();
                    w.WriteString("type", "text");
                    w.WriteString("text", text.Text);
                    w.WriteEndObject();
                    break;
                case ToolCallPart call:
                    w.WriteStartObject();
                    w.WriteString("type", "tool_use");
                    w.WriteString("id", call.Id);
                    w.WriteString("name", call.Name);
                    WriteDirectCaller(w);
                    w.WritePropertyName("input");
                    JsonWire.WriteObjectOrEmpty(w, call.ArgumentsJson);
                    w.WriteEndObject();
                    break;
                default:
                    break;
            }
        }
        w.WriteEndArray();
        w.WriteString("stop_reason", StopReasons.To(WireFormat.AnthropicMessages, stop));
        w.WriteNull("stop_sequence");
        // usage is required in a message: zeros when the provider reported none (metering flags it estimated).
        UsageFields.WriteAnthropic(w, r.Usage ?? new TokenUsage(0, 0, 0));
        w.WriteEndObject();
    }

    public static string NewId() => "msg_" + Guid.NewGuid().ToString("N");

    /// <summary>Anthropic marks who asked for a tool call; ours always come straight from the model.</summary>
    internal static void WriteDirectCaller(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject("caller"u8);
        w.WriteString("type"u8, "direct"u8);
        w.WriteEndObject();
    }
}
