namespace ControlPlane.Features.Gateway.Wire;

/// <summary>A provider's answer (a whole body, or one line or event of a stream) went past the size ControlPlane reads.</summary>
public sealed class OversizedAnswerException(long limit, long seen, string what)
    : IOException($"The provider's {what} is larger than {limit:N0} bytes.")
{
    /// <summary>The bound that was passed, in bytes.</summary>
    public long Limit { get; } = limit;

    /// <summary>Bytes received (or declared by Content-Length) when reading stopped.</summary>
    public long Seen { get; } = seen;
}
