using System.Buffers;
using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// A provider's stream in another format than the front door's: a provider-side decoder (the subclass) reads each
/// event with a forward-only <see cref="Utf8JsonReader"/> and drives the front door's <see cref="StreamEncoder"/>.
/// </summary>
/// <remarks>
/// The stop reason is held until the provider's stream ends (<see cref="Complete"/>): OpenAI sends usage after its
/// finish chunk, and the front door's closing events need both. After an error event nothing more is written.
/// An event that is not JSON is skipped.
/// </remarks>
internal abstract class CrossFormatStream(StreamEncoder encoder, WireFormat frontDoor) : IStreamTranslator
{
    private bool completed;

    protected StreamEncoder Encoder { get; } = encoder;
    /// <summary>Text or partial tool arguments of the current event, unescaped.</summary>
    protected ScratchBuffer Text { get; } = new();
    /// <summary>Argument JSON of the current tool call element.</summary>
    protected ScratchBuffer Arguments { get; } = new();
    protected StopKind? Stop { get; set; }

    public TokenUsage? Usage { get; protected set; }
    public long OutputCharacters => Encoder.OutputCharacters;
    public bool SawContent => Encoder.SawContent;
    public string? StopReason => Stop is null ? null : StopReasons.To(frontDoor, StopReasons.Settle(Stop, Encoder.SawToolCalls));

    public void OnEvent(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (Encoder.Failed || completed)
        {
            return;
        }
        try
        {
            Decode(eventName, data, output);
        }
        catch (JsonException)
        {
            // A provider event that is not JSON carries nothing we can relay.
        }
    }

    public void Complete(IBufferWriter<byte> output)
    {
        if (Encoder.Failed || completed)
        {
            return;
        }
        completed = true;
        Encoder.Finish(StopReasons.Settle(Stop, Encoder.SawToolCalls), Usage, output);
    }

    protected abstract void Decode(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output);

    /// <summary>A string token as a .NET string (ids, names, error texts: a few per stream).</summary>
    protected static string StringOf(ref Utf8JsonReader reader) => reader.GetString() ?? "";
}
