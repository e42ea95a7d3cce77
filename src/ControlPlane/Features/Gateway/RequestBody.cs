using System.Buffers;

namespace ControlPlane.Features.Gateway;

/// <summary>A request body read whole into a pooled buffer; return it with <see cref="Dispose"/>.</summary>
public sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;

    private RequestBody(byte[]? buffer, int length, bool tooLarge, bool clientGone = false)
    {
        _buffer = buffer;
        Length = length;
        TooLarge = tooLarge;
        ClientGone = clientGone;
    }

    /// <summary>The client went away (or broke the upload) before the body was complete.</summary>
    public bool ClientGone { get; }

    public int Length { get; private set; }
    public bool TooLarge { get; }
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>Reads at most <paramref name="limit"/> bytes; a longer body (declared or actual) is <see cref="TooLarge"/>.</summary>
    public static async Task<RequestBody> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        try
        {
            return await ReadWholeAsync(request, limit, ct);
        }
        catch (Exception ex) when (ex is IOException or BadHttpRequestException or OperationCanceledException)
        {
            return new RequestBody(null, 0, tooLarge: false, clientGone: true);
        }
    }

    private static async Task<RequestBody> ReadWholeAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) return new RequestBody(null, 0, tooLarge: true);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 16 * 1024, limit) + 1);
        var length = 0;
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            foreach (var segment in result.Buffer)
            {
                if (length + segment.Length > limit)
                {
                    reader.AdvanceTo(result.Buffer.End);
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new RequestBody(null, 0, tooLarge: true);
                }
                if (length + segment.Length > buffer.Length) buffer = Grow(buffer, length, length + segment.Length);
                segment.Span.CopyTo(buffer.AsSpan(length));
                length += segment.Length;
            }
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) break;
        }
        return new RequestBody(buffer, length, tooLarge: false);
    }

    private static byte[] Grow(byte[] buffer, int used, int needed)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, buffer.Length * 2));
        buffer.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }

    /// <summary>
    /// Puts a rewritten body in place of the one read (a prompt rendered into messages, an experiment's variant),
    /// copied into a pooled buffer; the buffer it replaces goes back to the pool.
    /// </summary>
    public void Replace(ReadOnlySpan<byte> body)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length, 1));
        body.CopyTo(buffer);
        if (Interlocked.Exchange(ref _buffer, buffer) is { } old) ArrayPool<byte>.Shared.Return(old);
        Length = body.Length;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
    }
}
