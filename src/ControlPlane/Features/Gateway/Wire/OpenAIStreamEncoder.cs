using System.Buffers;
using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Writes <c>chat.completion.chunk</c> events for the OpenAI front door.</summary>
/// <remarks>
/// The usage chunk (<c>choices: []</c>) is always sent when the provider reported usage, whether or not the caller
/// asked for <c>stream_options.include_usage</c>: the translator never sees the request, and the OpenAI SDKs accept
/// the chunk either way.
/// </remarks>
internal sealed class OpenAIStreamEncoder(string model) : StreamEncoder(model)
{
    private readonly JsonEncodedText id = JsonEncodedText.Encode(OpenAIResponse.NewId());
    private readonly long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public override void Begin(IBufferWriter<byte> output)
    {
        if (Started)
        {
            return;
        }
        Started = true;
        var w = StartChunk(output);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteString("content"u8, ""u8);
        EndChunk(w, output, null);
    }

    public override void Text(ReadOnlySpan<byte> utf8, IBufferWriter<byte> output)
    {
        if (utf8.IsEmpty)
        {
            return;
        }
        Begin(output);
        CountCharacters(utf8);
        var w = StartChunk(output);
        w.WriteString("content"u8, utf8);
        EndChunk(w, output, null);
    }

    public override void ToolCallStart(int index, string id, string name, IBufferWriter<byte> output)
    {
        Begin(output);
        SawContent = true;
        SawToolCalls = true;
        var w = StartChunk(output);
        w.WriteStartArray("tool_calls"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, index);
        w.WriteString("id"u8, id);
        w.WriteString("type"u8, "function"u8);
        w.WriteStartObject("function"u8);
        w.WriteString("name"u8, name);
        w.WriteString("arguments"u8, ""u8);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        EndChunk(w, output, null);
    }

    public override void ToolCallArguments(int index, ReadOnlySpan<byte> utf8Json, IBufferWriter<byte> output)
    {
        if (utf8Json.IsEmpty)
        {
            return;
        }
        Begin(output);
        CountCharacters(utf8Json);
        var w = StartChunk(output);
        w.WriteStartArray("tool_calls"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, index);
        w.WriteStartObject("function"u8);
        w.WriteString("arguments"u8, utf8Json);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        EndChunk(w, output, null);
    }

    public override void Error(string type, string message, IBufferWriter<byte> output)
    {
        Failed = true;
        output.Write("data: "u8);
        var w = Json(output);
        WireErrors.WriteOpenAI(w, type, message, null, null);
        w.Flush();
        output.Write("\n\n"u8);
    }

    public override void Finish(StopKind stop, TokenUsage? usage, IBufferWriter<byte> output)
    {
        Begin(output);
        var w = StartChunk(output);
        EndChunk(w, output, StopReasons.To(WireFormat.OpenAIChat, stop));
        if (usage is { } u)
        {
            output.Write("data: "u8);
            w = Json(output);
            w.WriteStartObject();
            WriteHeader(w);
            w.WriteStartArray("choices"u8);
            w.WriteEndArray();
            UsageFields.WriteOpenAI(w, u);
            w.WriteEndObject();
            w.Flush();
            output.Write("\n\n"u8);
        }
        output.Write("data: [DONE]\n\n"u8);
    }

    private void WriteHeader(Utf8JsonWriter w)
    {
        w.WriteString("id"u8, id);
        w.WriteString("object"u8, "chat.completion.chunk"u8);
        w.WriteNumber("created"u8, created);
        w.WriteString("model"u8, Model);
    }

    /// <summary>Writes a chunk up to the open <c>delta</c> object.</summary>
    private Utf8JsonWriter StartChunk(IBufferWriter<byte> output)
    {
        output.Write("data: "u8);
        var w = Json(output);
        w.WriteStartObject();
        WriteHeader(w);
        w.WriteStartArray("choices"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, 0);
        w.WriteStartObject("delta"u8);
        return w;
    }

    private static void EndChunk(Utf8JsonWriter w, IBufferWriter<byte> output, string? finishReason)
    {
        w.WriteEndObject();
        w.WriteNull("logprobs"u8);
        w.WriteString("finish_reason"u8, finishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.Write("\n\n"u8);
    }
}
