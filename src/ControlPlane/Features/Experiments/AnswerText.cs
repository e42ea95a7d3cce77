using System.Text;
using System.Text.Json;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// The text of an answer as the caller received it (OpenAI chat or Anthropic messages, whole or streamed as SSE):
/// the assistant's content, then any tool-call arguments, so two answers can be compared.
/// </summary>
public static class AnswerText
{
    public static string? Of(string? answer, WireFormat frontDoor, bool streamed)
    {
        if (string.IsNullOrEmpty(answer)) return null;
        try
        {
            return streamed ? OfStream(answer, frontDoor) : OfWhole(answer, frontDoor);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string OfWhole(string answer, WireFormat frontDoor)
    {
        using var doc = JsonDocument.Parse(answer);
        var text = new StringBuilder();
        var root = doc.RootElement;
        if (frontDoor == WireFormat.AnthropicMessages)
        {
            if (root.TryGetProperty("content", out var blocks) && blocks.ValueKind == JsonValueKind.Array)
                foreach (var block in blocks.EnumerateArray())
                {
                    if (block.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) text.Append(t.GetString());
                    else if (block.TryGetProperty("input", out var input)) text.Append(input.GetRawText());
                }
            return text.ToString();
        }
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
            && choices[0].TryGetProperty("message", out var message))
        {
            if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String) text.Append(content.GetString());
            if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                foreach (var call in calls.EnumerateArray())
                    if (call.TryGetProperty("function", out var f) && f.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.String)
                        text.Append(args.GetString());
        }
        return text.ToString();
    }

    private static string OfStream(string answer, WireFormat frontDoor)
    {
        var text = new StringBuilder();
        foreach (var line in answer.Split('\n'))
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
            var data = line[5..].Trim();
            if (data.Length == 0 || data[0] != '{') continue;
            using var doc = JsonDocument.Parse(data);
            var root = doc.RootElement;
            if (frontDoor == WireFormat.AnthropicMessages)
            {
                if (root.TryGetProperty("delta", out var delta))
                {
                    if (delta.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) text.Append(t.GetString());
                    else if (delta.TryGetProperty("partial_json", out var j) && j.ValueKind == JsonValueKind.String) text.Append(j.GetString());
                }
                continue;
            }
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("delta", out var d))
            {
                if (d.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) text.Append(c.GetString());
                if (d.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                    foreach (var call in calls.EnumerateArray())
                        if (call.TryGetProperty("function", out var f) && f.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.String)
                            text.Append(args.GetString());
            }
        }
        return text.ToString();
    }
}
