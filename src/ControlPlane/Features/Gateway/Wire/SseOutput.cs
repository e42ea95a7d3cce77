using System.Buffers;
using System.Text;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Writes SSE framing straight into the response buffer.</summary>
internal static class SseOutput
{
    public static void EventName(IBufferWriter<byte> output, string? name)
    {
        if (name is null)
        {
            return;
        }
        output.Write("event: "u8);
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(name.Length) + 1);
        var n = Encoding.UTF8.GetBytes(name, span);
        span[n] = (byte)'\n';
        output.Advance(n + 1);
    }

    /// <summary><c>data: payload</c> and the blank line; a payload holding newlines goes out as several data lines.</summary>
    public static void Data(IBufferWriter<byte> output, ReadOnlySpan<byte> payload)
    {
        while (true)
        {
            output.Write("data: "u8);
            var newline = payload.IndexOf((byte)'\n');
            if (newline < 0)
            {
                output.Write(payload);
                output.Write("\n\n"u8);
                return;
            }
            output.Write(payload[..(newline + 1)]);
            payload = payload[(newline + 1)..];
        }
    }
}
