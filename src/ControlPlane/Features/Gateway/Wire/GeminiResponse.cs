using System.Globalization;
using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Gemini generateContent answers → canonical. Gemini is never a front door, so it is only read.</summary>
internal static class GeminiResponse
{
    public static ChatResponse Read(JsonElement root)
    {
        var response = new ChatResponse { Id = root.Str("responseId"), Usage = UsageFields.Gemini(root.Prop("usageMetadata")) };
        if (root.Array("candidates") is { } candidates)
        {
            foreach (var candidate in candidates.EnumerateArray())
            {
                response.Stop = StopReasons.FromGemini(candidate.Str("finishReason"));
                if (candidate.Object("content")?.Array("parts") is { } parts)
                {
                    var calls = 0;
                    foreach (var part in parts.EnumerateArray())
                    {
                        if (part.Bool("thought") == true)
                        {
                            continue; // thought summaries are not the answer
                        }
                        if (part.Str("text") is { } text)
                        {
                            response.Content.Add(new TextPart(text));
                        }
                        else if (part.Object("functionCall") is { } call)
                        {
                            response.Content.Add(new ToolCallPart(
                                call.Str("id") ?? CallId(calls),
                                call.Str("name") ?? "",
                                call.Object("args")?.GetRawText() ?? "{}"));
                            calls++;
                        }
                    }
                }
                break; // one candidate is asked for
            }
        }
        else if (root.Object("promptFeedback")?.Str("blockReason") is not null)
        {
            response.Stop = StopKind.ContentFilter; // the prompt itself was blocked: no candidates at all
        }
        return response;
    }

    /// <summary>Gemini calls carry no id; callers need one to answer with, so calls are numbered in order.</summary>
    public static string CallId(int index) => "call_" + index.ToString(CultureInfo.InvariantCulture);
}
