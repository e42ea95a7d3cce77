using System.Text.Json.Nodes;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>The Messages API as Anthropic sends it: one message, or named SSE events around content blocks.</summary>
internal static class AnthropicWire
{
    public static Task AnswerAsync(FakeCall call)
    {
        var text = call.Text(OpenAIWire.LastUserText(call.Body));
        var id = $"msg_fake{call.Id()}";
        if (!OpenAIWire.IsTrue(call.Body["stream"]))
            return FakeTransport.JsonAsync(call.Context, Message(call, id, text), reply: call.Reply);
        return FakeTransport.StreamAsync(call.Context, call.Reply, "text/event-stream; charset=utf-8", Events(call, id, text));
    }

    private static JsonObject Message(FakeCall call, string id, string text)
    {
        var content = new JsonArray();
        if (text.Length > 0 || call.Reply.ToolCalls.Count == 0)
            content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
        for (var i = 0; i < call.Reply.ToolCalls.Count; i++)
            content.Add(ToolUse(call.Reply.ToolCalls[i], i, JsonNode.Parse(call.Reply.ToolCalls[i].ArgumentsJson)));
        var message = Envelope(call, id, content, StopReason(call));
        if (!call.Reply.OmitUsage)
            message["usage"] = Usage(call.Usage, call.Usage.Output);
        return message;
    }

    private static IEnumerable<Frame> Events(FakeCall call, string id, string text)
    {
        var start = Envelope(call, id, [], null);
        if (!call.Reply.OmitUsage)
            start["usage"] = Usage(call.Usage, 1); // output_tokens is 1 here; the real count comes in message_delta
        yield return Event("message_start", new JsonObject { ["message"] = start });

        var index = 0;
        if (text.Length > 0 || call.Reply.ToolCalls.Count == 0)
        {
            yield return Event("content_block_start", new JsonObject { ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } });
            yield return Event("ping", []);
            foreach (var piece in FakeTransport.Pieces(text, call.Reply.Chunks))
                yield return Event("content_block_delta", Delta(index, "text_delta", "text", piece), content: true);
            yield return Event("content_block_stop", new JsonObject { ["index"] = index++ });
        }
        for (var i = 0; i < call.Reply.ToolCalls.Count; i++, index++)
        {
            var tool = call.Reply.ToolCalls[i];
            yield return Event("content_block_start", new JsonObject { ["index"] = index, ["content_block"] = ToolUse(tool, i, new JsonObject()) });
            if (index == 0)
                yield return Event("ping", []);
            foreach (var piece in FakeTransport.Pieces(tool.ArgumentsJson, call.Reply.ArgumentChunks))
                yield return Event("content_block_delta", Delta(index, "input_json_delta", "partial_json", piece), content: true);
            yield return Event("content_block_stop", new JsonObject { ["index"] = index });
        }

        var end = new JsonObject { ["delta"] = new JsonObject { ["stop_reason"] = StopReason(call), ["stop_sequence"] = null } };
        if (!call.Reply.OmitUsage)
            end["usage"] = new JsonObject { ["output_tokens"] = call.Usage.Output };
        yield return Event("message_delta", end);
        yield return Event("message_stop", []);
    }

    private static JsonObject Envelope(FakeCall call, string id, JsonArray content, string? stopReason) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = call.ResponseModel,
        ["content"] = content,
        ["stop_reason"] = stopReason,
        ["stop_sequence"] = null,
    };

    private static JsonObject Usage(FakeUsage usage, int output) => new()
    {
        ["input_tokens"] = usage.UncachedInput,
        ["cache_creation_input_tokens"] = usage.CacheWrite,
        ["cache_read_input_tokens"] = usage.Cached,
        ["output_tokens"] = output,
    };

    private static JsonObject ToolUse(FakeToolCall tool, int index, JsonNode? input) => new()
    {
        ["type"] = "tool_use",
        ["id"] = tool.Id ?? $"toolu_fake{index}",
        ["name"] = tool.Name,
        ["caller"] = new JsonObject { ["type"] = "direct" },
        ["input"] = input,
    };

    private static JsonObject Delta(int index, string type, string field, string value) => new()
    {
        ["index"] = index,
        ["delta"] = new JsonObject { ["type"] = type, [field] = value },
    };

    /// <summary>event: name, then data: whose "type" repeats the name.</summary>
    private static Frame Event(string name, JsonObject data, bool content = false)
    {
        var typed = new JsonObject { ["type"] = name };
        foreach (var (key, value) in data.ToList())
        {
            data.Remove(key);
            typed[key] = value;
        }
        return new Frame($"event: {name}\ndata: {FakeTransport.Serialize(typed)}\n\n", content);
    }

    private static string StopReason(FakeCall call) => call.Reply.FinishReason ?? (call.Reply.ToolCalls.Count > 0 ? "tool_use" : "end_turn");
}
