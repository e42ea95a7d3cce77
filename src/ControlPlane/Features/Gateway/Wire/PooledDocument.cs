using System.Buffers;
using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>A <see cref="JsonDocument"/> over a pooled copy of a span (JsonDocument needs memory it can keep).</summary>
internal sealed class PooledDocument : IDisposable
{
    private byte[]? rented;

    public JsonDocument Document { get; }
    public JsonElement Root => Document.RootElement;

    private PooledDocument(byte[] rented, JsonDocument document)
    {
        this.rented = rented;
        Document = document;
    }

    /// <exception cref="JsonException">The bytes are not one JSON value.</exception>
    public static PooledDocument Parse(ReadOnlySpan<byte> json)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(json.Length, 1));
        json.CopyTo(rented);
        try
        {
            return new PooledDocument(rented, JsonDocument.Parse(rented.AsMemory(0, json.Length), JsonWire.DocumentOptions));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }
    }

    public void Dispose()
    {
        Document.Dispose();
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
            rented = null;
        }
    }
}
