using System.Buffers;
using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Decodes an OpenAI-style chunk stream (choices[0].delta, a usage chunk, <c>[DONE]</c>) into another front door.</summary>
internal sealed class OpenAIProviderStream(StreamEncoder encoder, WireFormat frontDoor) : CrossFormatStream(encoder, frontDoor)
{
    private const int MaxDepth = 10;

    private enum Key : byte
    {
        Other,
        Item,
        Choices,
        Delta,
        Content,
        ToolCalls,
        Index,
        Id,
        Function,
        Name,
        Arguments,
        FinishReason,
        Usage,
        PromptTokens,
        CompletionTokens,
        PromptTokensDetails,
        CachedTokens,
        Error,
        Message,
        Type,
    }

    private readonly HashSet<int> startedCalls = [];

    protected override void Decode(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            return; // the end is written on Complete
        }
        Span<Key> path = stackalloc Key[MaxDepth];
        var reader = new Utf8JsonReader(data);
        var call = new CallElement();
        string? errorType = null, errorMessage = null;
        var isError = false;
        var sawUsage = false;
        long prompt = 0, completion = 0, cached = 0;
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
                    sawUsage |= d == 1 && path[1] == Key.Usage;
                    isError |= d == 1 && path[1] == Key.Error;
                    if (d == 5 && path[1] == Key.Choices && path[4] == Key.ToolCalls)
                    {
                        call = new CallElement { Index = -1 };
                        Arguments.Clear();
                    }
                    break;
                case JsonTokenType.EndObject when d == 5 && path[1] == Key.Choices && path[4] == Key.ToolCalls:
                    EmitCall(call, output);
                    break;
                case JsonTokenType.String:
                    if (d == 4 && path[1] == Key.Choices && path[3] == Key.Delta && path[4] == Key.Content)
                    {
                        Text.Clear();
                        Text.AppendString(ref reader);
                        Encoder.Text(Text.Span, output);
                    }
                    else if (d == 6 && path[4] == Key.ToolCalls && path[6] == Key.Id)
                    {
                        call.Id = StringOf(ref reader);
                    }
                    else if (d == 7 && path[4] == Key.ToolCalls && path[6] == Key.Function && path[7] == Key.Name)
                    {
                        call.Name = StringOf(ref reader);
                    }
                    else if (d == 7 && path[4] == Key.ToolCalls && path[6] == Key.Function && path[7] == Key.Arguments)
                    {
                        Arguments.AppendString(ref reader);
                    }
                    else if (d == 3 && path[1] == Key.Choices && path[3] == Key.FinishReason)
                    {
                        Stop = reader.ValueTextEquals("length"u8) ? StopKind.MaxTokens
                            : reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8) ? StopKind.ToolUse
                            : reader.ValueTextEquals("content_filter"u8) ? StopKind.ContentFilter
                            : StopKind.EndTurn;
                    }
                    else if (d == 2 && path[1] == Key.Error && path[2] == Key.Message)
                    {
                        errorMessage = StringOf(ref reader);
                    }
                    else if (d == 2 && path[1] == Key.Error && path[2] == Key.Type)
                    {
                        errorType = StringOf(ref reader);
                    }
                    break;
                case JsonTokenType.Number when reader.TryGetInt64(out var n):
                    if (d == 6 && path[4] == Key.ToolCalls && path[6] == Key.Index)
                    {
                        call.Index = (int)n;
                    }
                    else if (d == 2 && path[1] == Key.Usage && path[2] == Key.PromptTokens)
                    {
                        prompt = n;
                    }
                    else if (d == 2 && path[1] == Key.Usage && path[2] == Key.CompletionTokens)
                    {
                        completion = n;
                    }
                    else if (d == 3 && path[1] == Key.Usage && path[2] == Key.PromptTokensDetails && path[3] == Key.CachedTokens)
                    {
                        cached = n;
                    }
                    break;
                default:
                    break;
            }
        }
        if (isError)
        {
            Encoder.Error(errorType ?? "api_error", errorMessage ?? "The provider reported an error.", output);
            return;
        }
        if (sawUsage)
        {
            Usage = new TokenUsage(prompt, cached, completion);
        }
        Encoder.Begin(output);
    }

    private void EmitCall(CallElement call, IBufferWriter<byte> output)
    {
        // Servers that leave out the index stream one call at a time: the next number is the right one.
        var index = call.Index >= 0 ? call.Index : (call.Id is not null || call.Name is not null ? startedCalls.Count : Math.Max(0, startedCalls.Count - 1));
        if ((call.Id is not null || call.Name is not null) && startedCalls.Add(index))
        {
            Encoder.ToolCallStart(index, call.Id ?? GeminiResponse.CallId(index), call.Name ?? "", output);
        }
        Encoder.ToolCallArguments(index, Arguments.Span, output);
    }

    /// <summary>What one element of delta.tool_calls said.</summary>
    private struct CallElement
    {
        public int Index;
        public string? Id;
        public string? Name;
    }

    private static Key KeyOf(ReadOnlySpan<byte> name, bool escaped) => escaped ? Key.Other : name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => Key.Id,
        4 when name.SequenceEqual("name"u8) => Key.Name,
        4 when name.SequenceEqual("type"u8) => Key.Type,
        5 when name.SequenceEqual("delta"u8) => Key.Delta,
        5 when name.SequenceEqual("usage"u8) => Key.Usage,
        5 when name.SequenceEqual("error"u8) => Key.Error,
        5 when name.SequenceEqual("index"u8) => Key.Index,
        7 when name.SequenceEqual("choices"u8) => Key.Choices,
        7 when name.SequenceEqual("content"u8) => Key.Content,
        7 when name.SequenceEqual("message"u8) => Key.Message,
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
