namespace ControlPlane.Infrastructure.Live;

/// <summary>How messages reach the other nodes through the shared database (PostgreSQL NOTIFY, a SQL Server table).</summary>
internal interface IClusterChannel
{
    /// <summary>Sends one message to every node (this one may hear it back; the bus drops its own echo).</summary>
    Task SendAsync(string message, CancellationToken ct);

    /// <summary>
    /// Receives messages until <paramref name="ct"/> ends, getting the channel back whenever it is lost. After a loss
    /// (or a first connection that had to wait) it calls <paramref name="onResumed"/>: messages may have been missed.
    /// </summary>
    Task ListenAsync(Action<string> onMessage, Action onResumed, CancellationToken ct);
}

/// <summary>Waits between attempts to get a channel back: 200 ms, doubling, up to Live:ReconnectMaxSeconds.</summary>
internal sealed class ReconnectDelay(TimeSpan max)
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(200);
    private TimeSpan _next = First;

    public TimeSpan Next()
    {
        var now = _next;
        _next = TimeSpan.FromTicks(Math.Min(max.Ticks, _next.Ticks * 2));
        return now;
    }

    public void Reset() => _next = First;
}
