using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// Writes one front door's stream from canonical stream events (text, tool calls, error, finish). Provider-side
/// decoders call it; it keeps what metering reads (characters, first content).
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "The writer targets a caller's IBufferWriter and holds no resource; disposing it would only flush.")]
internal abstract class StreamEncoder(string model)
{
    private Utf8JsonWriter? json;

    protected JsonEncodedText Model { get; } = JsonEncodedText.Encode(model, JsonWire.WriterOptions.Encoder);
    protected bool Started { get; set; }

    public long OutputCharacters { get; protected set; }
    public bool SawContent { get; protected set; }
    public bool SawToolCalls { get; protected set; }
    /// <summary>An error went out: the stream is over for the caller, nothing more is written.</summary>
    public bool Failed { get; protected set; }

    /// <summary>One writer for the whole stream, pointed at each call's output.</summary>
    protected Utf8JsonWriter Json(IBufferWriter<byte> output)
    {
        if (json is null)
        {
            json = new Utf8JsonWriter(output, JsonWire.WriterOptions);
        }
        else
        {
            json.Reset(output);
        }
        return json;
    }

    /// <summary>Opens the answer (OpenAI's role chunk, Anthropic's message_start) once.</summary>
    public abstract void Begin(IBufferWriter<byte> output);

    public abstract void Text(ReadOnlySpan<byte> utf8, IBufferWriter<byte> output);

    /// <summary>A tool call begins; <paramref name="index"/> numbers the calls of this answer from 0.</summary>
    public abstract void ToolCallStart(int index, string id, string name, IBufferWriter<byte> output);

    /// <summary>More of a tool call's argument JSON (possibly all of it).</summary>
    public abstract void ToolCallArguments(int index, ReadOnlySpan<byte> utf8Json, IBufferWriter<byte> output);

    public abstract void Error(string type, string message, IBufferWriter<byte> output);

    /// <summary>Closes the answer with its stop reason and the usage the provider reported (if any).</summary>
    public abstract void Finish(StopKind stop, TokenUsage? usage, IBufferWriter<byte> output);

    protected void CountCharacters(ReadOnlySpan<byte> utf8)
    {
        OutputCharacters += System.Text.Encoding.UTF8.GetCharCount(utf8);
        SawContent = true;
    }
}
