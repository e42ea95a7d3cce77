using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>A growable scratch buffer reused across events, so per-event work allocates nothing.</summary>
internal sealed class ScratchBuffer
{
    private byte[] buffer = new byte[256];

    public int Length { get; private set; }
    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Ensure(Length + bytes.Length);
        bytes.CopyTo(buffer.AsSpan(Length));
        Length += bytes.Length;
    }

    /// <summary>Appends the current string token, unescaped.</summary>
    public void AppendString(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            Append(reader.ValueSpan);
            return;
        }
        Ensure(Length + reader.ValueSpan.Length);
        Length += reader.CopyString(buffer.AsSpan(Length));
    }

    private void Ensure(int size)
    {
        if (size > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(size, buffer.Length * 2));
        }
    }

    /// <summary>Characters in the reader's current string value, unescaping through this buffer only when needed.</summary>
    public int CharacterCount(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return System.Text.Encoding.UTF8.GetCharCount(reader.ValueSpan);
        }
        Clear();
        AppendString(ref reader);
        return System.Text.Encoding.UTF8.GetCharCount(Span);
    }
}
