using System.Net;

namespace ControlPlane.Features.Gateway.Relay;

/// <summary>
/// A provider request's JSON body that knows when it went out whole. From then on the provider may be working on
/// it (and billing for it), so an attempt that ends without an answer is no longer free.
/// </summary>
public sealed class SentContent : ByteArrayContent
{
    private readonly byte[] _body;
    private volatile bool _sent;

    public SentContent(byte[] body) : base(body) => _body = body;

    /// <summary>True once every byte of the body was written and flushed to the connection.</summary>
    public bool Sent => _sent;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(_body, cancellationToken);
        // Flushed before it counts: bytes still in our buffer have not reached the provider.
        await stream.FlushAsync(cancellationToken);
        _sent = true;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);
}
