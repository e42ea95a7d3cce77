using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Overview;

/// <summary>
/// Keeps one reader's <see cref="LiveTotals"/> current: each <see cref="SpendTick"/> within the scope makes it read the
/// rollups again (off the publisher's thread, which is the call-log writer's). Ticks that arrive while a read is
/// running are folded into one more read, so a burst of batches costs at most two reads per watcher. A clock timer
/// also reads every <see cref="QuietRefresh"/>, so the per-minute rates fall back when calls stop.
/// </summary>
public sealed partial class SpendWatch : IDisposable
{
    public static readonly TimeSpan QuietRefresh = TimeSpan.FromSeconds(15);

    private readonly LiveTotalsReader _reader;
    private readonly OverviewScope _scope;
    private readonly Func<LiveTotals, Task> _changed;
    private readonly ILogger _logger;
    private readonly IDisposable _subscription;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stop = new();
    private int _dirty;
    private int _running;

    internal SpendWatch(EventBus events, LiveTotalsReader reader, TimeProvider clock, OverviewScope scope, Func<LiveTotals, Task> changed, ILogger logger)
    {
        (_reader, _scope, _changed, _logger) = (reader, scope, changed, logger);
        _subscription = events.Subscribe<SpendTick>(OnTick);
        _timer = clock.CreateTimer(_ => Refresh(), null, QuietRefresh, QuietRefresh);
    }

    private void OnTick(SpendTick tick)
    {
        if (_scope.Includes(tick.TeamId, tick.KeyId)) Refresh();
    }

    /// <summary>Reads the totals again soon (now, or once the read under way has finished).</summary>
    public void Refresh()
    {
        Volatile.Write(ref _dirty, 1);
        if (!_stop.IsCancellationRequested && Interlocked.CompareExchange(ref _running, 1, 0) == 0) _ = Task.Run(ReadWhileDirtyAsync);
    }

    private async Task ReadWhileDirtyAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested && Interlocked.Exchange(ref _dirty, 0) == 1)
                await _changed(await _reader.ReadAsync(_scope, _stop.Token));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed while reading: nobody is watching any more.
        }
        catch (Exception ex)
        {
            LogReadFailed(_logger, ex);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
        // A tick that came between the last read and the flag's release.
        if (Volatile.Read(ref _dirty) == 1) Refresh();
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _timer.Dispose();
        _stop.Cancel();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the live spend totals failed; the ticker shows the last numbers until the next tick")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}

/// <summary>Starts <see cref="SpendWatch"/>es.</summary>
public sealed class SpendWatches(EventBus events, LiveTotalsReader reader, TimeProvider clock, ILogger<SpendWatch> logger)
{
    /// <summary>Calls <paramref name="changed"/> with new totals after each tick within <paramref name="scope"/>; dispose to stop.</summary>
    public SpendWatch Watch(OverviewScope scope, Func<LiveTotals, Task> changed) => new(events, reader, clock, scope, changed, logger);
}
