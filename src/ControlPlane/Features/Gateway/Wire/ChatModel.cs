using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

// The canonical conversation every cross-format translation goes through: rich enough for what the three wires
// share (text, images, tools, sampling, stop), nothing more. Same-format calls never touch it.

internal enum ChatRole
{
    User,
    Assistant,
}

/// <summary>A request as the front door sent it, in canonical form.</summary>
internal sealed class ChatRequest
{
    /// <summary>System prompts in order (OpenAI system/developer messages, Anthropic <c>system</c> blocks).</summary>
    public List<string> System { get; } = [];
    public List<ChatMessage> Messages { get; } = [];
    public List<ToolDefinition> Tools { get; } = [];
    public ToolChoice? ToolChoice { get; set; }
    /// <summary>OpenAI <c>parallel_tool_calls</c> / the inverse of Anthropic <c>disable_parallel_tool_use</c>.</summary>
    public bool? ParallelToolCalls { get; set; }
    public int? MaxTokens { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    /// <summary>Anthropic <c>top_k</c>; OpenAI has none, Gemini takes it.</summary>
    public int? TopK { get; set; }
    public List<string> Stop { get; } = [];
    public ResponseFormat? ResponseFormat { get; set; }
    public string? User { get; set; }
}

/// <summary>One turn. Tool results ride in user turns (Anthropic's shape); the OpenAI writer splits them out.</summary>
internal sealed record ChatMessage(ChatRole Role, List<ContentPart> Parts)
{
    /// <summary>
    /// Consecutive messages of one role merged into one turn, tool results first, empty text dropped, empty turns
    /// skipped: what both Anthropic (results before anything else) and Gemini (alternating turns) require.
    /// </summary>
    public static IEnumerable<(ChatRole Role, List<ContentPart> Parts)> MergedTurns(List<ChatMessage> messages)
    {
        var i = 0;
        while (i < messages.Count)
        {
            var role = messages[i].Role;
            var end = i;
            while (end < messages.Count && messages[end].Role == role)
            {
                end++;
            }
            var parts = new List<ContentPart>();
            for (var j = i; j < end; j++)
            {
                parts.AddRange(messages[j].Parts.FindAll(static p => p is ToolResultPart));
            }
            for (var j = i; j < end; j++)
            {
                parts.AddRange(messages[j].Parts.FindAll(static p => p is not ToolResultPart && p is not TextPart { Text.Length: 0 }));
            }
            i = end;
            if (parts.Count > 0)
            {
                yield return (role, parts);
            }
        }
    }
}

internal abstract record ContentPart;

internal sealed record TextPart(string Text) : ContentPart;

/// <summary>An image either by https URL or inline as base64 with its media type.</summary>
internal sealed record ImagePart(string? Url, string? MediaType, string? Base64Data) : ContentPart;

/// <summary>An assistant's call of a tool; <paramref name="ArgumentsJson"/> is the arguments object as JSON text.</summary>
internal sealed record ToolCallPart(string Id, string Name, string ArgumentsJson) : ContentPart;

/// <summary>A tool's answer. <paramref name="Name"/> is resolved from the call it answers (Gemini matches by name).</summary>
internal sealed record ToolResultPart(string ToolCallId, string? Name, string Content, bool IsError) : ContentPart;

/// <summary>A function the model may call; <paramref name="ParametersJson"/> is its JSON Schema as text.</summary>
internal sealed record ToolDefinition(string Name, string? Description, string? ParametersJson);

internal enum ToolChoiceMode
{
    Auto,
    None,
    Required,
    Function,
}

internal sealed record ToolChoice(ToolChoiceMode Mode, string? FunctionName = null);

internal enum ResponseFormatKind
{
    Text,
    JsonObject,
    JsonSchema,
}

internal sealed record ResponseFormat(ResponseFormatKind Kind, string? SchemaJson = null, string? Name = null);

/// <summary>Why generation stopped, in a vocabulary every wire maps onto.</summary>
internal enum StopKind
{
    EndTurn,
    MaxTokens,
    ToolUse,
    StopSequence,
    ContentFilter,
}

/// <summary>A provider's whole answer in canonical form: text and tool-call parts, stop and usage.</summary>
internal sealed class ChatResponse
{
    public string? Id { get; set; }
    public List<ContentPart> Content { get; } = [];
    public StopKind? Stop { get; set; }
    public TokenUsage? Usage { get; set; }

    public bool HasToolCalls
    {
        get
        {
            foreach (var part in Content)
            {
                if (part is ToolCallPart)
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>Characters of text plus tool-call arguments: the basis of an output estimate.</summary>
    public long OutputCharacters
    {
        get
        {
            long n = 0;
            foreach (var part in Content)
            {
                n += part switch
                {
                    TextPart t => t.Text.Length,
                    ToolCallPart c => c.ArgumentsJson.Length,
                    _ => 0,
                };
            }
            return n;
        }
    }
}
