using System.Text;
using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>An OpenAI Chat Completions request body → the canonical <see cref="ChatRequest"/>.</summary>
/// <remarks>
/// Dropped because no other wire has them: n, logprobs, logit_bias, seed, penalties, audio/file content parts,
/// image <c>detail</c>, message <c>name</c>, legacy <c>functions</c>/<c>function_call</c>.
/// </remarks>
internal static class OpenAIRequestReader
{
    public static ChatRequest Read(JsonElement root)
    {
        var request = new ChatRequest
        {
            MaxTokens = root.Int("max_completion_tokens") ?? root.Int("max_tokens"),
            Temperature = root.Double("temperature"),
            TopP = root.Double("top_p"),
            User = root.Str("user"),
            ParallelToolCalls = root.Bool("parallel_tool_calls"),
            ToolChoice = ReadToolChoice(root.Prop("tool_choice")),
            ResponseFormat = ReadResponseFormat(root.Object("response_format")),
        };
        ReadStop(root.Prop("stop"), request.Stop);
        ReadTools(root, request.Tools);

        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.Array("messages") is { } messages)
        {
            foreach (var m in messages.EnumerateArray())
            {
                ReadMessage(m, request, toolNames);
            }
        }
        return request;
    }

    private static void ReadMessage(JsonElement m, ChatRequest request, Dictionary<string, string> toolNames)
    {
        switch (m.Str("role"))
        {
            case "system" or "developer":
                var system = JoinedText(m.Prop("content"));
                if (system.Length > 0)
                {
                    request.System.Add(system);
                }
                break;
            case "user":
                request.Messages.Add(new ChatMessage(ChatRole.User, UserParts(m.Prop("content"))));
                break;
            case "assistant":
                request.Messages.Add(new ChatMessage(ChatRole.Assistant, AssistantParts(m, toolNames)));
                break;
            case "tool":
                var id = m.Str("tool_call_id") ?? "";
                var result = new ToolResultPart(id, toolNames.GetValueOrDefault(id), JoinedText(m.Prop("content")), IsError: false);
                // Consecutive tool messages answer one assistant turn: keep them in one user turn, as Anthropic wants.
                if (request.Messages.Count > 0 && request.Messages[^1] is { Role: ChatRole.User } last && last.Parts.TrueForAll(static p => p is ToolResultPart))
                {
                    last.Parts.Add(result);
                }
                else
                {
                    request.Messages.Add(new ChatMessage(ChatRole.User, [result]));
                }
                break;
            default:
                break;
        }
    }

    private static List<ContentPart> UserParts(JsonElement? content)
    {
        var parts = new List<ContentPart>();
        if (content is { ValueKind: JsonValueKind.String } s)
        {
            parts.Add(new TextPart(s.GetString()!));
            return parts;
        }
        if (content is not { ValueKind: JsonValueKind.Array } array)
        {
            return parts;
        }
        foreach (var part in array.EnumerateArray())
        {
            switch (part.Str("type"))
            {
                case "text":
                    parts.Add(new TextPart(part.Str("text") ?? ""));
                    break;
                case "image_url":
                    // image_url is an object {url, detail}; a bare string is tolerated (some clients send it).
                    var url = part.Prop("image_url") is { } iu ? (iu.ValueKind == JsonValueKind.String ? iu.GetString() : iu.Str("url")) : null;
                    if (url is not null)
                    {
                        parts.Add(ImageFromUrl(url));
                    }
                    break;
                default:
                    break;
            }
        }
        return parts;
    }

    private static List<ContentPart> AssistantParts(JsonElement m, Dictionary<string, string> toolNames)
    {
        var parts = new List<ContentPart>();
        var content = m.Prop("content");
        if (content is { ValueKind: JsonValueKind.String } s)
        {
            if (s.GetString() is { Length: > 0 } text)
            {
                parts.Add(new TextPart(text));
            }
        }
        else if (content is { ValueKind: JsonValueKind.Array } array)
        {
            foreach (var part in array.EnumerateArray())
            {
                if (part.Str("type") == "text" && part.Str("text") is { Length: > 0 } text)
                {
                    parts.Add(new TextPart(text));
                }
            }
        }
        if (m.Array("tool_calls") is { } calls)
        {
            foreach (var call in calls.EnumerateArray())
            {
                var function = call.Object("function");
                var id = call.Str("id") ?? "";
                var name = function?.Str("name") ?? "";
                toolNames[id] = name;
                parts.Add(new ToolCallPart(id, name, function?.Str("arguments") ?? "{}"));
            }
        }
        return parts;
    }

    /// <summary>An OpenAI image URL: <c>data:&lt;type&gt;;base64,&lt;data&gt;</c> becomes inline data, anything else stays a URL.</summary>
    internal static ImagePart ImageFromUrl(string url)
    {
        const string Base64Marker = ";base64,";
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var marker = url.IndexOf(Base64Marker, StringComparison.OrdinalIgnoreCase);
            if (marker > 5)
            {
                return new ImagePart(null, url[5..marker], url[(marker + Base64Marker.Length)..]);
            }
        }
        return new ImagePart(url, null, null);
    }

    /// <summary>The text of a string content or of the text parts of an array content, parts joined by newlines.</summary>
    internal static string JoinedText(JsonElement? content)
    {
        if (content is { ValueKind: JsonValueKind.String } s)
        {
            return s.GetString()!;
        }
        if (content is not { ValueKind: JsonValueKind.Array } array)
        {
            return "";
        }
        var sb = new StringBuilder();
        foreach (var part in array.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.Str("text") is { } text)
            {
                if (sb.Length > 0)
                {
                    sb.Append('\n');
                }
                sb.Append(text);
            }
        }
        return sb.ToString();
    }

    private static void ReadStop(JsonElement? stop, List<string> into)
    {
        if (stop is { ValueKind: JsonValueKind.String } s)
        {
            into.Add(s.GetString()!);
        }
        else if (stop is { ValueKind: JsonValueKind.Array } array)
        {
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    into.Add(item.GetString()!);
                }
            }
        }
    }

    private static void ReadTools(JsonElement root, List<ToolDefinition> into)
    {
        if (root.Array("tools") is not { } tools)
        {
            return;
        }
        foreach (var tool in tools.EnumerateArray())
        {
            // Only function tools translate; OpenAI's other tool types (custom, web search) have no counterpart.
            if (tool.Str("type") is "function" && tool.Object("function") is { } f && f.Str("name") is { } name)
            {
                into.Add(new ToolDefinition(name, f.Str("description"), f.Object("parameters")?.GetRawText()));
            }
        }
    }

    private static ToolChoice? ReadToolChoice(JsonElement? choice) => choice switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString() switch
        {
            "auto" => new ToolChoice(ToolChoiceMode.Auto),
            "none" => new ToolChoice(ToolChoiceMode.None),
            "required" => new ToolChoice(ToolChoiceMode.Required),
            _ => null,
        },
        { ValueKind: JsonValueKind.Object } o when o.Object("function")?.Str("name") is { } name => new ToolChoice(ToolChoiceMode.Function, name),
        _ => null,
    };

    private static ResponseFormat? ReadResponseFormat(JsonElement? format) => format?.Str("type") switch
    {
        "json_object" => new ResponseFormat(ResponseFormatKind.JsonObject),
        "json_schema" => new ResponseFormat(
            ResponseFormatKind.JsonSchema,
            format.Value.Object("json_schema")?.Object("schema")?.GetRawText(),
            format.Value.Object("json_schema")?.Str("name")),
        "text" => new ResponseFormat(ResponseFormatKind.Text),
        _ => null,
    };
}
