using System.Text;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Security;

/// <summary>Every read of a provider's answer has a bound, and going past it is a clear error, not a huge buffer.</summary>
public sealed class ProviderReadBoundTests
{
    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task A_stream_line_longer_than_the_bound_fails_clearly_after_the_events_before_it()
    {
        using var reader = new SseReader(Utf8("data: small\n\ndata: " + new string('x', 5000)), bufferSize: 256, maxEventBytes: 1024);

        Assert.True(await reader.TryReadEventAsync());
        Assert.Equal("small", Encoding.UTF8.GetString(reader.Data.Span));
        var oversized = await Assert.ThrowsAsync<OversizedAnswerException>(async () => await reader.TryReadEventAsync());
        Assert.Equal(1024, oversized.Limit);
        Assert.Equal("The provider's stream line is larger than 1,024 bytes.", oversized.Message);
    }

    [Fact]
    public async Task An_event_of_many_short_data_lines_is_bounded_as_a_whole()
    {
        var lines = string.Concat(Enumerable.Repeat("data: " + new string('y', 100) + "\n", 20)) + "\n";
        using var reader = new SseReader(Utf8(lines), bufferSize: 4096, maxEventBytes: 1024);

        var oversized = await Assert.ThrowsAsync<OversizedAnswerException>(async () => await reader.TryReadEventAsync());
        Assert.Contains("stream event", oversized.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_within_the_bound_are_read_as_before()
    {
        using var reader = new SseReader(Utf8("data: " + new string('z', 1000) + "\n\n"), bufferSize: 64, maxEventBytes: 1024);

        Assert.True(await reader.TryReadEventAsync());
        Assert.Equal(1000, reader.Data.Length);
        Assert.False(await reader.TryReadEventAsync());
    }

    [Fact]
    public async Task A_body_declared_larger_than_the_bound_is_refused_before_reading_it()
    {
        using var response = new HttpResponseMessage { Content = new StreamContent(new ThrowingStream()) };
        response.Content.Headers.ContentLength = 10_000;

        var oversized = await Assert.ThrowsAsync<OversizedAnswerException>(() => GatewayErrors.ReadCappedAsync(response, 4096, CancellationToken.None));

        Assert.Equal(10_000, oversized.Seen);
    }

    [Fact]
    public async Task An_error_body_is_read_only_as_far_as_its_prefix()
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent(new byte[GatewayErrors.ErrorBodyBytes * 4]) };

        var prefix = await GatewayErrors.ReadPrefixAsync(response, GatewayErrors.ErrorBodyBytes, CancellationToken.None);

        Assert.Equal(GatewayErrors.ErrorBodyBytes, prefix.Length);
    }

    /// <summary>A body that must never be read.</summary>
    private sealed class ThrowingStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("the body was read");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
