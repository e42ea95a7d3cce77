using System.Text;
using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>An Anthropic Messages request body → the canonical <see cref="ChatRequest"/>.</summary>
/// <remarks>
/// Dropped because no other wire has them: cache_control, thinking and redacted_thinking blocks, documents,
/// citations, server tools (web search, code execution…), images inside tool results, and <c>thinking</c> settings.
/// </remarks>
internal static class AnthropicRequestReader
{
    public static ChatRequest Read(JsonElement root)
    {
        var request = new ChatRequest
        {
            MaxTokens = root.Int("max_tokens"),
            Temperature = root.Double("temperature"),
            TopP = root.Double("top_p"),
            TopK = root.Int("top_k"),
            User = root.Object("metadata")?.Str("user_id"),
        };
        var system = root.Prop("system");
        if (system is { ValueKind: JsonValueKind.String } s && s.GetString() is { Length: > 0 } text)
        {
            request.System.Add(text);
        }
        else if (system is { ValueKind: JsonValueKind.Array } blocks)
        {
            foreach (var block in blocks.EnumerateArray())
            {
                if (block.Str("text") is { Length: > 0 } t)
                {
                    request.System.Add(t);
                }
            }
        }
        if (root.Array("stop_sequences") is { } stops)
        {
            foreach (var stop in stops.EnumerateArray())
            {
                if (stop.ValueKind == JsonValueKind.String)
                {
                    request.Stop.Add(stop.GetString()!);
                }
            }
        }
        ReadTools(root, request);

        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.Array("messages") is { } messages)
        {
            foreach (var m in messages.EnumerateArray())
            {
                var role = m.Str("role") == "assistant" ? ChatRole.Assistant : ChatRole.User;
                request.Messages.Add(new ChatMessage(role, ReadBlocks(m.Prop("content"), toolNames)));
            }
        }
        return request;
    }

    private static List<ContentPart> ReadBlocks(JsonElement? content, Dictionary<string, string> toolNames)
    {
        var parts = new List<ContentPart>();
        if (content is { ValueKind: JsonValueKind.String } s)
        {
            parts.Add(new TextPart(s.GetString()!));
            return parts;
        }
        if (content is not { ValueKind: JsonValueKind.Array } blocks)
        {
            return parts;
        }
        foreach (var block in blocks.EnumerateArray())
        {
            switch (block.Str("type"))
            {
                case "text":
                    parts.Add(new TextPart(block.Str("text") ?? ""));
                    break;
                case "image" when ReadImage(block.Object("source")) is { } image:
                    parts.Add(image);
                    break;
                case "tool_use":
                    var id = block.Str("id") ?? "";
                    var name = block.Str("name") ?? "";
                    toolNames[id] = name;
                    parts.Add(new ToolCallPart(id, name, block.Object("input")?.GetRawText() ?? "{}"));
                    break;
                case "tool_result":
                    var callId = block.Str("tool_use_id") ?? "";
                    parts.Add(new ToolResultPart(callId, toolNames.GetValueOrDefault(callId), ResultText(block.Prop("content")), block.Bool("is_error") ?? false));
                    break;
                default:
                    break;
            }
        }
        return parts;
    }

    private static ImagePart? ReadImage(JsonElement? source) => source?.Str("type") switch
    {
        "base64" => new ImagePart(null, source.Value.Str("media_type"), source.Value.Str("data")),
        "url" when source.Value.Str("url") is { } url => new ImagePart(url, null, null),
        _ => null,
    };

    /// <summary>A tool_result's content: a string, or the text blocks of a block array joined by newlines.</summary>
    private static string ResultText(JsonElement? content)
    {
        if (content is { ValueKind: JsonValueKind.String } s)
        {
            return s.GetString()!;
        }
        var sb = new StringBuilder();
        if (content is { ValueKind: JsonValueKind.Array } blocks)
        {
            foreach (var block in blocks.EnumerateArray())
            {
                if (block.Str("type") == "text" && block.Str("text") is { } text)
                {
                    if (sb.Length > 0)
                    {
                        sb.Append('\n');
                    }
                    sb.Append(text);
                }
            }
        }
        return sb.ToString();
    }

    private static void ReadTools(JsonElement root, ChatRequest request)
    {
        if (root.Array("tools") is { } tools)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                // Client tools have no type (or "custom"); typed ones are Anthropic-hosted tools with no counterpart.
                if (tool.Str("type") is null or "custom" && tool.Str("name") is { } name)
                {
                    request.Tools.Add(new ToolDefinition(name, tool.Str("description"), tool.Object("input_schema")?.GetRawText()));
                }
            }
        }
        if (root.Object("tool_choice") is { } choice)
        {
            request.ToolChoice = choice.Str("type") switch
            {
                "auto" => new ToolChoice(ToolChoiceMode.Auto),
                "any" => new ToolChoice(ToolChoiceMode.Required),
                "none" => new ToolChoice(ToolChoiceMode.None),
                "tool" => new ToolChoice(ToolChoiceMode.Function, choice.Str("name")),
                _ => null,
            };
            if (choice.Bool("disable_parallel_tool_use") is { } disable)
            {
                request.ParallelToolCalls = !disable;
            }
        }
    }
}
