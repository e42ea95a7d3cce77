using System.Text;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>SseReader over streams that deliver bytes in awkward pieces.</summary>
public class SseReaderTests
{
    /// <summary>Hands out its bytes in the given piece sizes (cycling), as a slow network would.</summary>
    private sealed class PiecewiseStream(byte[] bytes, params int[] pieces) : Stream
    {
        private int position;
        private int piece;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => bytes.Length;
        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(buffer.Length, pieces[piece++ % pieces.Length]), bytes.Length - position);
            bytes.AsSpan(position, n).CopyTo(buffer);
            position += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return Read(buffer.Span);
        }

        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task<List<(string? Event, string Data)>> ReadAllAsync(Stream stream, int bufferSize = 16 * 1024)
    {
        using var reader = new SseReader(stream, bufferSize);
        var events = new List<(string?, string)>();
        while (await reader.TryReadEventAsync())
        {
            events.Add((reader.EventName, Encoding.UTF8.GetString(reader.Data.Span)));
        }
        Assert.False(await reader.TryReadEventAsync()); // stays at the end
        return events;
    }

    private const string Mixed =
        ": keep-alive comment\r\n" +
        "event: message_start\r\n" +
        "data: {\"a\":1}\r\n" +
        "\r\n" +
        "id: 7\n" +
        "retry: 1500\n" +
        "data: line one\n" +
        "data:line two\n" +
        "data\n" +
        "\n" +
        "event: only-a-name\n" +
        "\n" +
        "event: ping\r" +
        "data: {\"type\": \"ping\"}\r" +
        "\r" +
        "data: [DONE]";

    private static readonly List<(string?, string)> MixedEvents =
    [
        ("message_start", "{\"a\":1}"),
        (null, "line one\nline two\n"),
        ("ping", "{\"type\": \"ping\"}"),
        (null, "[DONE]"),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Events_come_out_whole_whatever_the_piece_size(int piece)
    {
        Assert.Equal(MixedEvents, await ReadAllAsync(new PiecewiseStream(WireKit.Utf8(Mixed), piece)));
    }

    [Fact]
    public async Task Odd_mixed_piece_sizes_and_a_tiny_buffer_still_give_whole_events()
    {
        Assert.Equal(MixedEvents, await ReadAllAsync(new PiecewiseStream(WireKit.Utf8(Mixed), 5, 1, 13, 2, 31), bufferSize: 16));
    }

    [Fact]
    public async Task Id_and_retry_fields_are_kept()
    {
        using var reader = new SseReader(new MemoryStream(WireKit.Utf8("id: 42\nretry: 3000\ndata: x\n\n")));
        Assert.True(await reader.TryReadEventAsync());
        Assert.Equal("42", reader.LastEventId);
        Assert.Equal(3000, reader.Retry);
        Assert.Equal("x", Encoding.UTF8.GetString(reader.Data.Span));
    }

    [Fact]
    public async Task A_crlf_split_between_reads_is_one_line_end()
    {
        // "\r" ends one read and "\n" starts the next: must not read as an empty line (which would end the event).
        var events = await ReadAllAsync(new PiecewiseStream(WireKit.Utf8("event: a\r\ndata: 1\r\ndata: 2\r\n\r\n"), 9, 1, 100));
        Assert.Equal([("a", "1\n2")], events);
    }

    [Fact]
    public async Task An_event_bigger_than_the_buffer_grows_it()
    {
        var big = new string('x', 100_000);
        var events = await ReadAllAsync(new PiecewiseStream(WireKit.Utf8($"data: {big}\ndata: {big}\n\ndata: small\n\n"), 1000, 7), bufferSize: 64);
        Assert.Equal(2, events.Count);
        Assert.Equal(big + "\n" + big, events[0].Data);
        Assert.Equal("small", events[1].Data);
    }

    [Fact]
    public async Task A_byte_order_mark_at_the_start_is_ignored()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(WireKit.Utf8("data: x\n\n")).ToArray();
        Assert.Equal([(null, "x")], await ReadAllAsync(new MemoryStream(bytes)));
    }

    [Fact]
    public async Task An_empty_stream_has_no_events()
    {
        Assert.Empty(await ReadAllAsync(new MemoryStream()));
        Assert.Empty(await ReadAllAsync(new MemoryStream(WireKit.Utf8(": just a comment\n\n"))));
    }

    [Fact]
    public async Task Event_names_are_reused_strings()
    {
        using var reader = new SseReader(new MemoryStream(WireKit.Utf8("event: ping\ndata: 1\n\nevent: ping\ndata: 2\n\n")));
        Assert.True(await reader.TryReadEventAsync());
        var first = reader.EventName;
        Assert.True(await reader.TryReadEventAsync());
        Assert.Same(first, reader.EventName);
    }
}
