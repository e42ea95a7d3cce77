using System.Buffers;
using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// Anthropic provider → Anthropic front door: events go back as they came, with only
/// <c>message_start.message.model</c> rewritten; one <see cref="Utf8JsonReader"/> pass per event meters it.
/// </summary>
internal sealed class AnthropicPassthroughStream(string modelAsked) : IStreamTranslator
{
    private const int MaxDepth = 8;

    private enum Key : byte
    {
        Other,
        Item,
        Message,
        Model,
        Usage,
        InputTokens,
        OutputTokens,
        CacheReadInputTokens,
        CacheCreationInputTokens,
        Delta,
        Text,
        PartialJson,
        StopReason,
        ContentBlock,
        Type,
    }

    private readonly byte[] quotedModel = JsonWire.QuotedString(modelAsked);
    private readonly ScratchBuffer scratch = new();
    private long inputTokens, cacheReadTokens, cacheCreationTokens, outputTokens;
    private bool sawUsage;

    public TokenUsage? Usage => sawUsage ? UsageFields.FromAnthropic(inputTokens, cacheReadTokens, cacheCreationTokens, outputTokens) : null;
    public long OutputCharacters { get; private set; }
    public bool SawContent { get; private set; }
    public string? StopReason { get; private set; }

    public void OnEvent(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        SseOutput.EventName(output, eventName);
        int start;
        int end;
        try
        {
            (start, end) = Scan(data);
        }
        catch (JsonException)
        {
            start = end = -1; // not JSON: relayed untouched, nothing metered from it
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

    /// <summary>Anthropic closes its own stream with message_stop: nothing to add.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
    }

    private (int Start, int End) Scan(ReadOnlySpan<byte> data)
    {
        Span<Key> path = stackalloc Key[MaxDepth];
        var reader = new Utf8JsonReader(data);
        int modelStart = -1, modelEnd = -1;
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
                case JsonTokenType.String when d == 2:
                    if (path[1] == Key.Message && path[2] == Key.Model)
                    {
                        modelStart = (int)reader.TokenStartIndex;
                        modelEnd = (int)reader.BytesConsumed;
                    }
                    else if (path[1] == Key.Delta && path[2] is Key.Text or Key.PartialJson)
                    {
                        var chars = scratch.CharacterCount(ref reader);
                        OutputCharacters += chars;
                        SawContent |= chars > 0;
                    }
                    else if (path[1] == Key.Delta && path[2] == Key.StopReason)
                    {
                        StopReason = Reason(ref reader);
                    }
                    else if (path[1] == Key.ContentBlock && path[2] == Key.Type && reader.ValueTextEquals("tool_use"u8))
                    {
                        SawContent = true;
                    }
                    break;
                case JsonTokenType.Number when d == 2 && path[1] == Key.Usage || d == 3 && path[1] == Key.Message && path[2] == Key.Usage:
                    // message_start carries the input side, message_delta cumulative totals: the latest value wins.
                    if (!reader.TryGetInt64(out var n))
                    {
                        break;
                    }
                    sawUsage = true;
                    switch (path[d])
                    {
                        case Key.InputTokens: inputTokens = n; break;
                        case Key.OutputTokens: outputTokens = n; break;
                        case Key.CacheReadInputTokens: cacheReadTokens = n; break;
                        case Key.CacheCreationInputTokens: cacheCreationTokens = n; break;
                        default: break;
                    }
                    break;
                default:
                    break;
            }
        }
        return (modelStart, modelEnd);
    }

    private static string? Reason(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("end_turn"u8) ? "end_turn"
        : reader.ValueTextEquals("tool_use"u8) ? "tool_use"
        : reader.ValueTextEquals("max_tokens"u8) ? "max_tokens"
        : reader.ValueTextEquals("stop_sequence"u8) ? "stop_sequence"
        : reader.GetString();

    private static Key KeyOf(ReadOnlySpan<byte> name, bool escaped) => escaped ? Key.Other : name.Length switch
    {
        4 when name.SequenceEqual("text"u8) => Key.Text,
        4 when name.SequenceEqual("type"u8) => Key.Type,
        5 when name.SequenceEqual("model"u8) => Key.Model,
        5 when name.SequenceEqual("usage"u8) => Key.Usage,
        5 when name.SequenceEqual("delta"u8) => Key.Delta,
        7 when name.SequenceEqual("message"u8) => Key.Message,
        11 when name.SequenceEqual("stop_reason"u8) => Key.StopReason,
        12 when name.SequenceEqual("input_tokens"u8) => Key.InputTokens,
        12 when name.SequenceEqual("partial_json"u8) => Key.PartialJson,
        13 when name.SequenceEqual("output_tokens"u8) => Key.OutputTokens,
        13 when name.SequenceEqual("content_block"u8) => Key.ContentBlock,
        23 when name.SequenceEqual("cache_read_input_tokens"u8) => Key.CacheReadInputTokens,
        27 when name.SequenceEqual("cache_creation_input_tokens"u8) => Key.CacheCreationInputTokens,
        _ => Key.Other,
    };
}
