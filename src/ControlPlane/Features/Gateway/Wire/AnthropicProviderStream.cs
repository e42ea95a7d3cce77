using System.Buffers;
using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Decodes Anthropic Messages stream events into another front door. Pings are dropped.</summary>
internal sealed class AnthropicProviderStream(StreamEncoder encoder, WireFormat frontDoor) : CrossFormatStream(encoder, frontDoor)
{
    private const int MaxDepth = 8;

    private enum Key : byte
    {
        Other,
        Item,
        Type,
        Index,
        ContentBlock,
        Id,
        Name,
        Delta,
        Text,
        PartialJson,
        StopReason,
        Usage,
        Message,
        InputTokens,
        OutputTokens,
        CacheReadInputTokens,
        CacheCreationInputTokens,
        Error,
    }

    private enum Kind : byte
    {
        Unknown,
        ContentBlockStart,
        Ping,
        Error,
    }

    // Anthropic numbers content blocks (text and tool_use alike); the front door numbers tool calls only.
    private int[] callOfBlock = [-1, -1, -1, -1, -1, -1, -1, -1];
    private int calls;
    private long inputTokens, cacheReadTokens, cacheCreationTokens, outputTokens;

    protected override void Decode(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        var kind = KindOf(eventName);
        Span<Key> path = stackalloc Key[MaxDepth];
        var reader = new Utf8JsonReader(data);
        var block = -1;
        var isToolUse = false;
        string? id = null, name = null, errorType = null, errorMessage = null;
        var sawUsage = false;
        Text.Clear();
        Arguments.Clear();
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
                case JsonTokenType.StartObject when d == 1 && path[1] == Key.Error:
                    kind = Kind.Error;
                    break;
                case JsonTokenType.String when d == 1 && path[1] == Key.Type && kind == Kind.Unknown:
                    kind = reader.ValueTextEquals("content_block_start"u8) ? Kind.ContentBlockStart
                        : reader.ValueTextEquals("ping"u8) ? Kind.Ping
                        : reader.ValueTextEquals("error"u8) ? Kind.Error
                        : Kind.Unknown;
                    break;
                case JsonTokenType.String when d == 2:
                    switch (path[1], path[2])
                    {
                        case (Key.ContentBlock, Key.Type):
                            isToolUse = reader.ValueTextEquals("tool_use"u8);
                            break;
                        case (Key.ContentBlock, Key.Id):
                            id = StringOf(ref reader);
                            break;
                        case (Key.ContentBlock, Key.Name):
                            name = StringOf(ref reader);
                            break;
                        case (Key.Delta, Key.Text):
                            Text.AppendString(ref reader);
                            break;
                        case (Key.Delta, Key.PartialJson):
                            Arguments.AppendString(ref reader);
                            break;
                        case (Key.Delta, Key.StopReason):
                            Stop = StopReasons.FromAnthropic(reader.ValueTextEquals("end_turn"u8) ? "end_turn" : StringOf(ref reader));
                            break;
                        case (Key.Error, Key.Type):
                            errorType = StringOf(ref reader);
                            break;
                        case (Key.Error, Key.Message):
                            errorMessage = StringOf(ref reader);
                            break;
                        default:
                            break;
                    }
                    break;
                case JsonTokenType.Number when reader.TryGetInt64(out var n):
                    if (d == 1 && path[1] == Key.Index)
                    {
                        block = (int)n;
                    }
                    else if (d == 2 && path[1] == Key.Usage || d == 3 && path[1] == Key.Message && path[2] == Key.Usage)
                    {
                        // message_start has the input side, message_delta cumulative totals: the latest value wins.
                        sawUsage = true;
                        switch (path[d])
                        {
                            case Key.InputTokens: inputTokens = n; break;
                            case Key.OutputTokens: outputTokens = n; break;
                            case Key.CacheReadInputTokens: cacheReadTokens = n; break;
                            case Key.CacheCreationInputTokens: cacheCreationTokens = n; break;
                            default: break;
                        }
                    }
                    break;
                default:
                    break;
            }
        }
        switch (kind)
        {
            case Kind.Ping:
                return;
            case Kind.Error:
                Encoder.Error(errorType ?? "api_error", errorMessage ?? "The provider reported an error.", output);
                return;
            case Kind.ContentBlockStart when isToolUse && block >= 0:
                SetCallOfBlock(block, calls);
                Encoder.ToolCallStart(calls, id ?? "", name ?? "", output);
                calls++;
                break;
            default:
                break;
        }
        if (Text.Length > 0)
        {
            Encoder.Text(Text.Span, output);
        }
        if (Arguments.Length > 0 && block >= 0 && block < callOfBlock.Length && callOfBlock[block] >= 0)
        {
            Encoder.ToolCallArguments(callOfBlock[block], Arguments.Span, output);
        }
        if (sawUsage)
        {
            Usage = UsageFields.FromAnthropic(inputTokens, cacheReadTokens, cacheCreationTokens, outputTokens);
        }
        Encoder.Begin(output);
    }

    private void SetCallOfBlock(int block, int call)
    {
        if (block >= callOfBlock.Length)
        {
            var grown = new int[Math.Max(block + 1, callOfBlock.Length * 2)];
            Array.Fill(grown, -1);
            callOfBlock.CopyTo(grown, 0);
            callOfBlock = grown;
        }
        callOfBlock[block] = call;
    }

    private static Kind KindOf(string? eventName) => eventName switch
    {
        "content_block_start" => Kind.ContentBlockStart,
        "ping" => Kind.Ping,
        "error" => Kind.Error,
        _ => Kind.Unknown,
    };

    private static Key KeyOf(ReadOnlySpan<byte> name, bool escaped) => escaped ? Key.Other : name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => Key.Id,
        4 when name.SequenceEqual("type"u8) => Key.Type,
        4 when name.SequenceEqual("name"u8) => Key.Name,
        4 when name.SequenceEqual("text"u8) => Key.Text,
        5 when name.SequenceEqual("index"u8) => Key.Index,
        5 when name.SequenceEqual("delta"u8) => Key.Delta,
        5 when name.SequenceEqual("usage"u8) => Key.Usage,
        5 when name.SequenceEqual("error"u8) => Key.Error,
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
