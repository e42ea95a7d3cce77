using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// Reads server-sent events from a stream (the WHATWG event-stream rules): <c>\n</c>, <c>\r\n</c> and <c>\r</c> line
/// ends, <c>:</c> comments, several <c>data:</c> lines joined with <c>\n</c>, events split across reads, and a last
/// event without its blank line at end of stream (dispatched, unlike the spec, so a cut-short provider still
/// delivers what it sent). Buffers come from the array pool and grow only for events bigger than they are, up to
/// <c>maxEventBytes</c> for one line or one event's data: past it the read fails with
/// <see cref="OversizedAnswerException"/>, so a provider cannot make the gateway buffer without end.
/// </summary>
public sealed class SseReader : IDisposable
{
    private const int NameCacheSize = 16;

    private readonly Stream stream;
    private readonly int maxEventBytes;
    private byte[] buffer;
    private int start;
    private int end;
    private bool eof;
    private bool first = true;

    private byte[] data;
    private int dataLength;
    private bool sawData;
    private readonly byte[] name = new byte[64];
    private int nameLength = -1;

    // Providers use a handful of event names: the strings are made once and reused.
    private readonly string[] names = new string[NameCacheSize];
    private int nameCount;

    public SseReader(Stream stream, int bufferSize = 16 * 1024, int maxEventBytes = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEventBytes, 1);
        this.stream = stream;
        this.maxEventBytes = maxEventBytes;
        buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        data = ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>The last event's <c>event:</c> name, or null when it had none.</summary>
    public string? EventName { get; private set; }

    /// <summary>The last event's data (lines joined with <c>\n</c>); valid until the next read.</summary>
    public ReadOnlyMemory<byte> Data => data.AsMemory(0, dataLength);

    /// <summary>The last <c>id:</c> seen (it carries over events, as the spec says).</summary>
    public string? LastEventId { get; private set; }

    /// <summary>The last <c>retry:</c> the server asked for, in milliseconds.</summary>
    public int? Retry { get; private set; }

    /// <summary>Reads the next event; false at the end of the stream.</summary>
    public ValueTask<bool> TryReadEventAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(buffer.Length == 0, this);
        dataLength = 0;
        sawData = false;
        nameLength = -1;
        // Most events are already in the buffer: no async machinery for them.
        return TryParseBuffered(out var dispatched) ? new ValueTask<bool>(dispatched) : ReadMoreAsync(cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadMoreAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await FillAsync(cancellationToken);
            if (TryParseBuffered(out var dispatched))
            {
                return dispatched;
            }
        }
    }

    /// <summary>
    /// Processes buffered lines; true when done (an event dispatched, or the end reached), false when it needs more
    /// bytes. A partial event's fields stay in the data and name buffers across reads.
    /// </summary>
    private bool TryParseBuffered(out bool dispatched)
    {
        while (TryTakeLine(out var lineStart, out var lineLength))
        {
            if (lineLength == 0)
            {
                if (Dispatch())
                {
                    dispatched = true;
                    return true;
                }
                continue;
            }
            ProcessLine(buffer.AsSpan(lineStart, lineLength));
        }
        if (!eof)
        {
            dispatched = false;
            return false;
        }
        if (end > start)
        {
            ProcessLine(buffer.AsSpan(start, end - start)); // a last line with no line end
            start = end;
        }
        dispatched = Dispatch();
        return true;
    }

    /// <summary>Finds the next whole line in the buffer; a <c>\r</c> at the buffer's end waits for the next byte.</summary>
    private bool TryTakeLine(out int lineStart, out int lineLength)
    {
        var span = buffer.AsSpan(start, end - start);
        var i = span.IndexOfAny((byte)'\n', (byte)'\r');
        lineStart = start;
        lineLength = i;
        if (i < 0)
        {
            return false;
        }
        if (span[i] == (byte)'\r')
        {
            if (i + 1 == span.Length && !eof)
            {
                return false; // could be the first half of \r\n
            }
            start += i + 1 < span.Length && span[i + 1] == (byte)'\n' ? i + 2 : i + 1;
        }
        else
        {
            start += i + 1;
        }
        if (first)
        {
            first = false;
            if (buffer.AsSpan(lineStart, lineLength).StartsWith("\uFEFF"u8))
            {
                lineStart += 3;
                lineLength -= 3;
            }
        }
        return true;
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (start > 0)
        {
            // Keep the unfinished line at the front.
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            end -= start;
            start = 0;
        }
        if (end == buffer.Length)
        {
            if (end >= maxEventBytes)
            {
                throw new OversizedAnswerException(maxEventBytes, end, "stream line");
            }
            Grow(ref buffer, end, buffer.Length * 2);
        }
        var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
        if (read == 0)
        {
            eof = true;
        }
        end += read;
    }

    private void ProcessLine(ReadOnlySpan<byte> line)
    {
        if (line[0] == (byte)':')
        {
            return; // comment
        }
        var colon = line.IndexOf((byte)':');
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? [] : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }
        if (field.SequenceEqual("data"u8))
        {
            var needed = dataLength + (sawData ? 1 : 0) + value.Length;
            if (needed > maxEventBytes)
            {
                throw new OversizedAnswerException(maxEventBytes, needed, "stream event");
            }
            if (needed > data.Length)
            {
                Grow(ref data, dataLength, Math.Max(needed, data.Length * 2));
            }
            if (sawData)
            {
                data[dataLength++] = (byte)'\n';
            }
            value.CopyTo(data.AsSpan(dataLength));
            dataLength += value.Length;
            sawData = true;
        }
        else if (field.SequenceEqual("event"u8))
        {
            // Longer names than any wire uses are cut; they can only be unknown events anyway.
            nameLength = Math.Min(value.Length, name.Length);
            value[..nameLength].CopyTo(name);
        }
        else if (field.SequenceEqual("id"u8))
        {
            if (value.IndexOf((byte)0) < 0)
            {
                LastEventId = Encoding.UTF8.GetString(value);
            }
        }
        else if (field.SequenceEqual("retry"u8))
        {
            if (System.Buffers.Text.Utf8Parser.TryParse(value, out int ms, out var consumed) && consumed == value.Length && ms >= 0)
            {
                Retry = ms;
            }
        }
    }

    /// <summary>Ends the current event; only events that had data are dispatched (the spec's rule).</summary>
    private bool Dispatch()
    {
        if (!sawData)
        {
            nameLength = -1;
            return false;
        }
        EventName = nameLength <= 0 ? null : NameOf(name.AsSpan(0, nameLength));
        return true;
    }

    private string NameOf(ReadOnlySpan<byte> utf8)
    {
        for (var i = 0; i < nameCount; i++)
        {
            var cached = names[i];
            if (cached.Length == utf8.Length && Matches(cached, utf8))
            {
                return cached;
            }
        }
        var made = Encoding.UTF8.GetString(utf8);
        if (nameCount < NameCacheSize && made.Length == utf8.Length) // ASCII only: Matches compares byte by char
        {
            names[nameCount++] = made;
        }
        return made;
    }

    private static bool Matches(string cached, ReadOnlySpan<byte> utf8)
    {
        for (var i = 0; i < utf8.Length; i++)
        {
            if (cached[i] != utf8[i])
            {
                return false;
            }
        }
        return true;
    }

    private static void Grow(ref byte[] array, int used, int size)
    {
        var grown = ArrayPool<byte>.Shared.Rent(size);
        array.AsSpan(0, used).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(array);
        array = grown;
    }

    public void Dispose()
    {
        if (buffer.Length == 0)
        {
            return;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        ArrayPool<byte>.Shared.Return(data);
        buffer = [];
        data = [];
    }
}
