using System.Buffers;
using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Writes Anthropic Messages stream events for the Anthropic front door.</summary>
/// <remarks>
/// message_start must go out before any provider reported usage (OpenAI sends it last), so it says
/// <c>input_tokens: 0</c>; the real counts, input included, go in message_delta's usage, which the Anthropic SDKs
/// merge into the final message.
/// </remarks>
internal sealed class AnthropicStreamEncoder(string model) : StreamEncoder(model)
{
    private readonly JsonEncodedText id = JsonEncodedText.Encode(AnthropicResponse.NewId());
    private int nextBlock;
    private int openBlock = -1;
    private bool openIsText;
    private int openTool = -1;

    public override void Begin(IBufferWriter<byte> output)
    {
        if (Started)
        {
            return;
        }
        Started = true;
        var w = Event(output, "message_start"u8);
        w.WriteStartObject("message"u8);
        w.WriteString("id"u8, id);
        w.WriteString("type"u8, "message"u8);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteString("model"u8, Model);
        w.WriteStartArray("content"u8);
        w.WriteEndArray();
        w.WriteNull("stop_reason"u8);
        w.WriteNull("stop_sequence"u8);
        w.WriteStartObject("usage"u8);
        w.WriteNumber("input_tokens"u8, 0);
        w.WriteNumber("output_tokens"u8, 0);
        w.WriteEndObject();
        w.WriteEndObject();
        EndEvent(w, output);
    }

    public override void Text(ReadOnlySpan<byte> utf8, IBufferWriter<byte> output)
    {
        if (utf8.IsEmpty)
        {
            return;
        }
        Begin(output);
        CountCharacters(utf8);
        if (openBlock < 0 || !openIsText)
        {
            CloseBlock(output);
            OpenBlock(isText: true);
            var start = Event(output, "content_block_start"u8);
            start.WriteNumber("index"u8, openBlock);
            start.WriteStartObject("content_block"u8);
            start.WriteString("type"u8, "text"u8);
            start.WriteString("text"u8, ""u8);
            start.WriteEndObject();
            EndEvent(start, output);
        }
        var w = Event(output, "content_block_delta"u8);
        w.WriteNumber("index"u8, openBlock);
        w.WriteStartObject("delta"u8);
        w.WriteString("type"u8, "text_delta"u8);
        w.WriteString("text"u8, utf8);
        w.WriteEndObject();
        EndEvent(w, output);
    }

    public override void ToolCallStart(int index, string id, string name, IBufferWriter<byte> output)
    {
        Begin(output);
        SawContent = true;
        SawToolCalls = true;
        CloseBlock(output);
        OpenBlock(isText: false);
        openTool = index;
        var w = Event(output, "content_block_start"u8);
        w.WriteNumber("index"u8, openBlock);
        w.WriteStartObject("content_block"u8);
        w.WriteString("type"u8, "tool_use"u8);
        w.WriteString("id"u8, id);
        w.WriteString("name"u8, name);
        AnthropicResponse.WriteDirectCaller(w);
        w.WriteStartObject("input"u8);
        w.WriteEndObject();
        w.WriteEndObject();
        EndEvent(w, output);
    }

    public override void ToolCallArguments(int index, ReadOnlySpan<byte> utf8Json, IBufferWriter<byte> output)
    {
        CountCharacters(utf8Json);
        // A block cannot be reopened: arguments for a call that is not the open block are not relayed. OpenAI-style
        // providers stream calls one after another, so this does not happen in practice.
        if (utf8Json.IsEmpty || openBlock < 0 || openIsText || openTool != index)
        {
            return;
        }
        var w = Event(output, "content_block_delta"u8);
        w.WriteNumber("index"u8, openBlock);
        w.WriteStartObject("delta"u8);
        w.WriteString("type"u8, "input_json_delta"u8);
        w.WriteString("partial_json"u8, utf8Json);
        w.WriteEndObject();
        EndEvent(w, output);
    }

    public override void Error(string type, string message, IBufferWriter<byte> output)
    {
        Failed = true;
        output.Write("event: error\ndata: "u8);
        var w = Json(output);
        WireErrors.WriteAnthropic(w, WireErrors.AnthropicType(type, 500), message);
        w.Flush();
        output.Write("\n\n"u8);
    }

    public override void Finish(StopKind stop, TokenUsage? usage, IBufferWriter<byte> output)
    {
        Begin(output);
        CloseBlock(output);
        var w = Event(output, "message_delta"u8);
        w.WriteStartObject("delta"u8);
        w.WriteString("stop_reason"u8, StopReasons.To(WireFormat.AnthropicMessages, stop));
        w.WriteNull("stop_sequence"u8);
        w.WriteEndObject();
        UsageFields.WriteAnthropic(w, usage ?? new TokenUsage(0, 0, 0));
        EndEvent(w, output);
        EndEvent(Event(output, "message_stop"u8), output);
    }

    private void OpenBlock(bool isText)
    {
        openBlock = nextBlock++;
        openIsText = isText;
        openTool = -1;
    }

    private void CloseBlock(IBufferWriter<byte> output)
    {
        if (openBlock < 0)
        {
            return;
        }
        var w = Event(output, "content_block_stop"u8);
        w.WriteNumber("index"u8, openBlock);
        EndEvent(w, output);
        openBlock = -1;
    }

    /// <summary>Writes <c>event: name</c>, opens the data object and writes its <c>type</c> (the same name).</summary>
    private Utf8JsonWriter Event(IBufferWriter<byte> output, ReadOnlySpan<byte> name)
    {
        output.Write("event: "u8);
        output.Write(name);
        output.Write("\ndata: "u8);
        var w = Json(output);
        w.WriteStartObject();
        w.WriteString("type"u8, name);
        return w;
    }

    private static void EndEvent(Utf8JsonWriter w, IBufferWriter<byte> output)
    {
        w.WriteEndObject();
        w.Flush();
        output.Write("\n\n"u8);
    }
}
