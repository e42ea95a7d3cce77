using System.Buffers;
using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// Decodes a Gemini <c>streamGenerateContent?alt=sse</c> stream into a front door. Each chunk is a whole
/// GenerateContentResponse holding the new text since the last one; function calls come whole, in one part; the
/// usageMetadata of the last chunk that has one is the call's usage.
/// </summary>
internal sealed class GeminiProviderStream(StreamEncoder encoder, WireFormat frontDoor) : CrossFormatStream(encoder, frontDoor)
{
    private const int MaxDepth = 10;

    private enum Key : byte
    {
        Other,
        Item,
        Candidates,
        Content,
        Parts,
        Text,
        Thought,
        FunctionCall,
        Name,
        Args,
        Id,
        FinishReason,
        UsageMetadata,
        PromptTokenCount,
        CachedContentTokenCount,
        CandidatesTokenCount,
        ThoughtsTokenCount,
        Error,
        Message,
        Status,
    }

    private int calls;

    protected override void Decode(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        Span<Key> path = stackalloc Key[MaxDepth];
        var reader = new Utf8JsonReader(data);
        var candidate = 0;
        var part = new PartElement();
        string? errorMessage = null, errorStatus = null;
        var isError = false;
        var sawUsage = false;
        long prompt = 0, cached = 0, candidatesTokens = 0, thoughts = 0;
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
                    if (d == 2 && path[1] == Key.Candidates && candidate++ > 0)
                    {
                        reader.Skip(); // one candidate is asked for
                    }
                    else if (d == 5 && path[1] == Key.Candidates && path[4] == Key.Parts)
                    {
                        part = default;
                        Text.Clear();
                        Arguments.Clear();
                    }
                    else if (d == 6 && path[4] == Key.Parts && path[6] == Key.FunctionCall)
                    {
                        part.IsCall = true;
                    }
                    else if (d == 7 && path[4] == Key.Parts && path[6] == Key.FunctionCall && path[7] == Key.Args)
                    {
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        Arguments.Append(data[start..(int)reader.BytesConsumed]);
                    }
                    sawUsage |= d == 1 && path[1] == Key.UsageMetadata;
                    isError |= d == 1 && path[1] == Key.Error;
                    break;
                case JsonTokenType.EndObject when d == 5 && path[1] == Key.Candidates && path[4] == Key.Parts:
                    EmitPart(part, output);
                    break;
                case JsonTokenType.True when d == 6 && path[4] == Key.Parts && path[6] == Key.Thought:
                    part.IsThought = true;
                    break;
                case JsonTokenType.String:
                    if (d == 6 && path[4] == Key.Parts && path[6] == Key.Text)
                    {
                        Text.AppendString(ref reader);
                    }
                    else if (d == 7 && path[6] == Key.FunctionCall && path[7] == Key.Name)
                    {
                        part.Name = StringOf(ref reader);
                    }
                    else if (d == 7 && path[6] == Key.FunctionCall && path[7] == Key.Id)
                    {
                        part.Id = StringOf(ref reader);
                    }
                    else if (d == 3 && path[1] == Key.Candidates && path[3] == Key.FinishReason)
                    {
                        Stop = StopReasons.FromGemini(reader.ValueTextEquals("STOP"u8) ? "STOP" : StringOf(ref reader)) ?? Stop;
                    }
                    else if (d == 2 && path[1] == Key.Error && path[2] == Key.Message)
                    {
                        errorMessage = StringOf(ref reader);
                    }
                    else if (d == 2 && path[1] == Key.Error && path[2] == Key.Status)
                    {
                        errorStatus = StringOf(ref reader);
                    }
                    break;
                case JsonTokenType.Number when d == 2 && path[1] == Key.UsageMetadata && reader.TryGetInt64(out var n):
                    switch (path[2])
                    {
                        case Key.PromptTokenCount: prompt = n; break;
                        case Key.CachedContentTokenCount: cached = n; break;
                        case Key.CandidatesTokenCount: candidatesTokens = n; break;
                        case Key.ThoughtsTokenCount: thoughts = n; break;
                        default: break;
                    }
                    break;
                default:
                    break;
            }
        }
        if (isError)
        {
            Encoder.Error(WireErrors.TypeOfGeminiStatus(errorStatus, 500), errorMessage ?? "The provider reported an error.", output);
            return;
        }
        if (sawUsage)
        {
            Usage = UsageFields.FromGemini(prompt, cached, candidatesTokens, thoughts);
        }
        Encoder.Begin(output);
    }

    private void EmitPart(PartElement part, IBufferWriter<byte> output)
    {
        if (part.IsThought)
        {
            return; // thought summaries are not the answer
        }
        if (Text.Length > 0)
        {
            Encoder.Text(Text.Span, output);
        }
        if (part.IsCall)
        {
            var index = calls++;
            Encoder.ToolCallStart(index, part.Id ?? GeminiResponse.CallId(index), part.Name ?? "", output);
            Encoder.ToolCallArguments(index, Arguments.Length > 0 ? Arguments.Span : "{}"u8, output);
        }
    }

    /// <summary>What one element of candidates[0].content.parts said.</summary>
    private struct PartElement
    {
        public bool IsThought;
        public bool IsCall;
        public string? Name;
        public string? Id;
    }

    private static Key KeyOf(ReadOnlySpan<byte> name, bool escaped) => escaped ? Key.Other : name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => Key.Id,
        4 when name.SequenceEqual("text"u8) => Key.Text,
        4 when name.SequenceEqual("name"u8) => Key.Name,
        4 when name.SequenceEqual("args"u8) => Key.Args,
        5 when name.SequenceEqual("parts"u8) => Key.Parts,
        5 when name.SequenceEqual("error"u8) => Key.Error,
        6 when name.SequenceEqual("status"u8) => Key.Status,
        7 when name.SequenceEqual("content"u8) => Key.Content,
        7 when name.SequenceEqual("thought"u8) => Key.Thought,
        7 when name.SequenceEqual("message"u8) => Key.Message,
        10 when name.SequenceEqual("candidates"u8) => Key.Candidates,
        12 when name.SequenceEqual("functionCall"u8) => Key.FunctionCall,
        12 when name.SequenceEqual("finishReason"u8) => Key.FinishReason,
        13 when name.SequenceEqual("usageMetadata"u8) => Key.UsageMetadata,
        16 when name.SequenceEqual("promptTokenCount"u8) => Key.PromptTokenCount,
        18 when name.SequenceEqual("thoughtsTokenCount"u8) => Key.ThoughtsTokenCount,
        20 when name.SequenceEqual("candidatesTokenCount"u8) => Key.CandidatesTokenCount,
        23 when name.SequenceEqual("cachedContentTokenCount"u8) => Key.CachedContentTokenCount,
        _ => Key.Other,
    };
}
