using System.Text.Json.Nodes;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>Chat Completions as OpenAI (and Azure OpenAI, with its content-filter extras) send them.</summary>
internal static class OpenAIWire
{
    public static Task AnswerAsync(FakeCall call)
    {
        var text = call.Text(LastUserText(call.Body));
        if (!IsTrue(call.Body["stream"]))
            return FakeTransport.JsonAsync(call.Context, Completion(call, text), reply: call.Reply);
        var includeUsage = IsTrue(call.Body["stream_options"]?["include_usage"]);
        return FakeTransport.StreamAsync(call.Context, call.Reply, "text/event-stream; charset=utf-8", Chunks(call, text, includeUsage));
    }

    private static JsonObject Completion(FakeCall call, string text)
    {
        var root = Envelope(call, "chat.completion", $"chatcmpl-fake{call.Id()}", null);
        var choices = root["choices"]!.AsArray();
        // n answers (when the reply honours n): the same answer under each index, each billed.
        for (var i = 0; i < call.Choices; i++)
            choices.Add(CompletionChoice(call, text, i));
        if (!call.Reply.OmitUsage)
            root["usage"] = Usage(call.Usage);
        return root;
    }

    private static JsonObject CompletionChoice(FakeCall call, string text, int index)
    {
        var tools = call.Reply.ToolCalls;
        var message = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = text.Length > 0 || tools.Count == 0 ? text : null,
            ["refusal"] = null,
        };
        if (tools.Count > 0)
            message["tool_calls"] = new JsonArray([.. tools.Select((t, i) => (JsonNode)new JsonObject
            {
                ["id"] = ToolId(t, i),
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = t.Name, ["arguments"] = t.ArgumentsJson },
            })]);
        var choice = new JsonObject { ["index"] = index, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = FinishReason(call) };
        if (call.Provider == FakeProvider.AzureOpenAI)
            choice["content_filter_results"] = AzureFilterResults();
        return choice;
    }

    private static IEnumerable<Frame> Chunks(FakeCall call, string text, bool includeUsage)
    {
        var id = $"chatcmpl-fake{call.Id()}";
        if (call.Provider == FakeProvider.AzureOpenAI)
            yield return Data(AzurePromptFilterChunk()); // Azure opens with an empty-choices chunk of filter results
        var opening = text.Length > 0 || call.Reply.ToolCalls.Count == 0 ? "" : null; // null when it will only call tools
        yield return Data(Chunk(call, id, new JsonObject { ["role"] = "assistant", ["content"] = opening, ["refusal"] = null }, null, includeUsage));
        foreach (var piece in FakeTransport.Pieces(text, call.Reply.Chunks))
        {
            yield return Data(Chunk(call, id, new JsonObject { ["content"] = piece }, null, includeUsage), content: true);
            for (var n = 1; n < call.Choices; n++)
                yield return Data(Chunk(call, id, new JsonObject { ["content"] = piece }, null, includeUsage, index: n));
        }
        for (var i = 0; i < call.Reply.ToolCalls.Count; i++)
        {
            var tool = call.Reply.ToolCalls[i];
            yield return Data(Chunk(call, id, ToolDelta(i, new JsonObject { ["name"] = tool.Name, ["arguments"] = "" }, ToolId(tool, i)), null, includeUsage));
            foreach (var piece in FakeTransport.Pieces(tool.ArgumentsJson, call.Reply.ArgumentChunks))
                yield return Data(Chunk(call, id, ToolDelta(i, new JsonObject { ["arguments"] = piece }), null, includeUsage), content: true);
        }
        yield return Data(Chunk(call, id, [], FinishReason(call), includeUsage));
        if (includeUsage && !call.Reply.OmitUsage)
        {
            var last = Envelope(call, "chat.completion.chunk", id, null);
            last["usage"] = Usage(call.Usage);
            yield return Data(last);
        }
        yield return new Frame("data: [DONE]\n\n");
    }

    private static JsonObject Chunk(FakeCall call, string id, JsonObject delta, string? finishReason, bool includeUsage, int index = 0)
    {
        var choice = new JsonObject { ["index"] = index, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason };
        var chunk = Envelope(call, "chat.completion.chunk", id, choice);
        if (includeUsage)
            chunk["usage"] = null; // with include_usage every chunk carries "usage": null but the last
        return chunk;
    }

    private static JsonObject ToolDelta(int index, JsonObject function, string? id = null)
    {
        var call = new JsonObject { ["index"] = index };
        if (id is not null)
        {
            call["id"] = id;
            call["type"] = "function";
        }
        call["function"] = function;
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    private static JsonObject Envelope(FakeCall call, string type, string id, JsonObject? choice)
    {
        if (choice is not null && call.Provider == FakeProvider.AzureOpenAI)
            choice["content_filter_results"] = AzureFilterResults();
        return new JsonObject
        {
            ["id"] = id,
            ["object"] = type,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = call.ResponseModel,
            ["system_fingerprint"] = "fp_fake",
            ["choices"] = choice is null ? new JsonArray() : new JsonArray(choice),
        };
    }

    public static JsonObject Usage(FakeUsage usage) => new()
    {
        ["prompt_tokens"] = usage.Input,
        ["completion_tokens"] = usage.Output,
        ["total_tokens"] = usage.Input + usage.Output,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.Cached, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0, ["audio_tokens"] = 0 },
    };

    private static JsonObject AzurePromptFilterChunk() => new()
    {
        ["choices"] = new JsonArray(),
        ["created"] = 0,
        ["id"] = "",
        ["model"] = "",
        ["object"] = "",
        ["prompt_filter_results"] = new JsonArray(new JsonObject { ["prompt_index"] = 0, ["content_filter_results"] = AzureFilterResults() }),
    };

    private static JsonObject AzureFilterResults()
    {
        var results = new JsonObject();
        foreach (var category in new[] { "hate", "self_harm", "sexual", "violence" })
            results[category] = new JsonObject { ["filtered"] = false, ["severity"] = "safe" };
        return results;
    }

    private static string FinishReason(FakeCall call) => call.Reply.FinishReason ?? (call.Reply.ToolCalls.Count > 0 ? "tool_calls" : "stop");

    private static string ToolId(FakeToolCall tool, int index) => tool.Id ?? $"call_fake{index}";

    private static Frame Data(JsonObject json, bool content = false) => new($"data: {FakeTransport.Serialize(json)}\n\n", content);

    public static bool IsTrue(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var b) && b;

    /// <summary>The text of the last user message: a string, or the text parts of a content array.</summary>
    public static string? LastUserText(JsonNode body)
    {
        var last = (body["messages"] as JsonArray)?.LastOrDefault(m => m?["role"]?.ToString() == "user");
        return last?["content"] switch
        {
            JsonValue s => s.ToString(),
            JsonArray parts => string.Concat(parts.Select(p => p?["type"]?.ToString() == "text" ? p["text"]?.ToString() : null)),
            _ => null,
        };
    }
}
