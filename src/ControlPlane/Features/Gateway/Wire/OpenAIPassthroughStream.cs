using System.Buffers;
using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// OpenAI provider → OpenAI front door: each chunk goes back as it came with only <c>model</c> rewritten, while one
/// forward-only <see cref="Utf8JsonReader"/> pass per chunk picks up usage, finish reason and content size.
/// </summary>
internal sealed class OpenAIPassthroughStream(string modelAsked) : IStreamTranslator
{
    private const int MaxDepth = 12;

    private enum Key : byte
    {
        Other,
        Item,
        Model,
        Choices,
        Delta,
        Content,
        ToolCalls,
        Function,
        Arguments,
        FinishReason,
        Usage,
        PromptTokens,
        CompletionTokens,
        PromptTokensDetails,
        CachedTokens,
        Error,
    }

    private readonly byte[] quotedModel = JsonWire.QuotedString(modelAsked);
    private readonly ScratchBuffer scratch = new();
    private bool sawDone;
    private bool sawError;

    public TokenUsage? Usage { get; private set; }
    public long OutputCharacters { get; private set; }
    public bool SawContent { get; private set; }
    public string? StopReason { get; private set; }

    public void OnEvent(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        SseOutput.EventName(output, eventName);
        if (data.SequenceEqual("[DONE]"u8))
        {
            sawDone = true;
            SseOutput.Data(output, data);
            return;
        }
        int start = -1, end = -1;
        try
        {
            (start, end) = Scan(data);
        }
        catch (JsonException)
        {
            start = -1; // not JSON: relayed untouched, nothing metered from it
        }
        if (start < 0)
        {
            SseOutput.Data(output, data);
            return;
        }
        output.Write("data: "u8);
        output.Write(data[..start]);
        output.Write(quotedModel);
        output.Write(data[end..]);
        output.Write("\n\n"u8);
    }

    public void Complete(IBufferWriter<byte> output)
    {
        // Some OpenAI-compatible servers end without [DONE]; the front door always gets one.
        if (!sawDone && !sawError)
        {
            SseOutput.Data(output, "[DONE]"u8);
            sawDone = true;
        }
    }

    /// <summary>Reads one chunk; returns where the top-level model value lies (-1 when absent).</summary>
    private (int Start, int End) Scan(ReadOnlySpan<byte> data)
    {
        Span<Key> path = stackalloc Key[MaxDepth];
        var reader = new Utf8JsonReader(data);
        int modelStart = -1, modelEnd = -1;
        long prompt = 0, completion = 0, cached = 0;
        var sawUsage = false;
        while (reader.Read())
        {
            var d = reader.CurrentDepth;
            if (d >= MaxDepth - 1)
            {
                reader.Skip();
                continue;
            }
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    path[d] = KeyOf(reader.ValueSpan, reader.ValueIsEscaped);
                    break;
                case JsonTokenType.StartArray:
                    path[d + 1] = Key.Item;
                    break;
                case JsonTokenType.StartObject:
                    if (d == 1 && path[1] == Key.Usage)
                    {
                        sawUsage = true;
                    }
                    else if (d == 1 && path[1] == Key.Error)
                    {
                        sawError = true;
                    }
                    else if (d == 5 && path[4] == Key.ToolCalls && path[1] == Key.Choices)
                    {
                        SawContent = true;
                    }
                    break;
                case JsonTokenType.String:
                    if (d == 1 && path[1] == Key.Model)
                    {
                        modelStart = (int)reader.TokenStartIndex;
                        modelEnd = (int)reader.BytesConsumed;
                    }
                    else if (path[1] == Key.Choices && d == 4 && path[3] == Key.Delta && path[4] == Key.Content
                        || d == 7 && path[1] == Key.Choices && path[4] == Key.ToolCalls && path[6] == Key.Function && path[7] == Key.Arguments)
                    {
                        var chars = scratch.CharacterCount(ref reader);
                        OutputCharacters += chars;
                        SawContent |= chars > 0;
                    }
                    else if (d == 3 && path[1] == Key.Choices && path[3] == Key.FinishReason)
                    {
                        StopReason = FinishReason(ref reader);
                    }
                    break;
                case JsonTokenType.Number when path[1] == Key.Usage && reader.TryGetInt64(out var n):
                    if (d == 2 && path[2] == Key.PromptTokens)
                    {
                        prompt = n;
                    }
                    else if (d == 2 && path[2] == Key.CompletionTokens)
                    {
                        completion = n;
                    }
                    else if (d == 3 && path[2] == Key.PromptTokensDetails && path[3] == Key.CachedTokens)
                    {
                        cached = n;
                    }
                    break;
                default:
                    break;
            }
        }
        if (sawUsage)
        {
            Usage = new TokenUsage(prompt, cached, completion);
        }
        return (modelStart, modelEnd);
    }

    /// <summary>The known finish reasons without allocating; anything else as sent.</summary>
    private static string? FinishReason(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("stop"u8) ? "stop"
        : reader.ValueTextEquals("length"u8) ? "length"
        : reader.ValueTextEquals("tool_calls"u8) ? "tool_calls"
        : reader.ValueTextEquals("content_filter"u8) ? "content_filter"
        : reader.GetString();

    private static Key KeyOf(ReadOnlySpan<byte> name, bool escaped) => escaped ? Key.Other : name.Length switch
    {
        5 when name.SequenceEqual("model"u8) => Key.Model,
        5 when name.SequenceEqual("delta"u8) => Key.Delta,
        5 when name.SequenceEqual("usage"u8) => Key.Usage,
        5 when name.SequenceEqual("error"u8) => Key.Error,
        7 when name.SequenceEqual("choices"u8) => Key.Choices,
        7 when name.SequenceEqual("content"u8) => Key.Content,
        8 when name.SequenceEqual("function"u8) => Key.Function,
        9 when name.SequenceEqual("arguments"u8) => Key.Arguments,
        10 when name.SequenceEqual("tool_calls"u8) => Key.ToolCalls,
        13 when name.SequenceEqual("finish_reason"u8) => Key.FinishReason,
        13 when name.SequenceEqual("prompt_tokens"u8) => Key.PromptTokens,
        13 when name.SequenceEqual("cached_tokens"u8) => Key.CachedTokens,
        17 when name.SequenceEqual("completion_tokens"u8) => Key.CompletionTokens,
        21 when name.SequenceEqual("prompt_tokens_details"u8) => Key.PromptTokensDetails,
        _ => Key.Other,
    };
}
