using System.Diagnostics.Metrics;
using System.Threading.Channels;
using ControlPlane.Features.Gateway;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Metering;

/// <summary>A call to record, with its prompt and completion when the team keeps them, and what it charged to which wallets.</summary>
public sealed record MeteredCall(CallRecord Record, CallPayload? Payload = null, IReadOnlyList<WalletCharge>? Charges = null)
{
    /// <summary>When a served call entered the queue (a <see cref="TimeProvider"/> timestamp; 0 for refusal rows): the writer's lag is measured from it.</summary>
    internal long QueuedAt { get; set; }
}

/// <summary>A call's cost charged to one wallet, from this node's lease on it (null when the wallet has no limit).</summary>
public readonly record struct WalletCharge(Guid WalletId, Guid? LeaseId, decimal Amount);

/// <summary>
/// Work that must land in the same transaction as a batch of call rows (the wallets' ledger and balances), so a call
/// and its charges are written together or not at all.
/// </summary>
public interface ICallBatchHook
{
    /// <summary>Adds the batch's work to <paramref name="db"/>'s transaction; returns what to do once it committed.</summary>
    Task<Action?> ApplyAsync(Infrastructure.Data.ControlPlaneDb db, IReadOnlyList<MeteredCall> batch, CancellationToken ct);

    /// <summary>True when the work follows the rows themselves (a rollup), so it is skipped when only charges are written.</summary>
    bool NeedsRows => false;
}

/// <summary>
/// The bounded queue between the gateway and <see cref="CallLogWriter"/>. When it is full, writers wait: the
/// gateway slows down rather than losing a row. Refusals never take its room: they are counted in the
/// <see cref="Refusals"/> tally (one row per key, reason and minute, on a bounded path of their own), so a key that
/// keeps being refused cannot make served calls wait. It also says whether the writer is alive (the gateway refuses
/// new holds when it is not) and lets shutdown wait until every queued row and charge is written.
/// </summary>
public sealed partial class CallLog : IDisposable
{
    private readonly Channel<MeteredCall> _channel;
    // Refusal rows (samples, and counted rows whose minute is over) on their way to the writer: bounded by the tally.
    private readonly Channel<MeteredCall> _refusalRows = Channel.CreateUnbounded<MeteredCall>();
    private readonly ITimer _refusalClock;
    private long _waited;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger<CallLog> _logger;
    private volatile Exception? _writerDied;
    private readonly Counter<long> _recorded;
    private readonly Counter<long> _estimated;
    private readonly Counter<long> _unpriced;
    private readonly Counter<long> _waits;
    private readonly TimeProvider _clock;
    // QueuedAt of the oldest row of the batch the writer is writing; 0 while it writes none.
    private long _writingSince;

    public CallLog(IOptions<GatewayOptions> options, IMeterFactory meters, ILogger<CallLog> logger, TimeProvider clock)
    {
        _logger = logger;
        _clock = clock;
        Refusals = new RefusalTally(options.Value.RefusalRowCapacity, options.Value.RefusalSamplesPerMinute, clock);
        // Each second, the rows of minutes that are over go to the writer.
        _refusalClock = clock.CreateTimer(_ => MoveClosedRefusals(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        _channel = Channel.CreateBounded<MeteredCall>(new BoundedChannelOptions(options.Value.CallLogCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        var meter = meters.Create("ControlPlane.Gateway");
        _recorded = meter.CreateCounter<long>("controlplane.calls", description: "Calls metered");
        _estimated = meter.CreateCounter<long>("controlplane.calls.usage_estimated", description: "Calls whose usage the provider did not report");
        _unpriced = meter.CreateCounter<long>("controlplane.calls.unpriced", description: "Calls allowed to a model with no price");
        _waits = meter.CreateCounter<long>("controlplane.calls.log_waits", description: "Calls that waited for room in the call-log queue");
        meter.CreateObservableCounter("controlplane.calls.refusals_counted", () => Refusals.Counted, description: "Refused calls counted into per-minute refusal rows");
        meter.CreateObservableCounter("controlplane.calls.refusals_dropped", () => Refusals.Dropped, description: "Refused calls dropped because the refusal rows were full");
        meter.CreateObservableGauge("controlplane.calllog.queue_depth", () => _channel.Reader.Count, description: "Served calls queued for the call-log writer");
        meter.CreateObservableGauge("controlplane.calllog.writer_lag", () => WriterLag.TotalSeconds, unit: "s", description: "How long the oldest call not yet written has waited (0: the writer is keeping up)");
        meter.CreateObservableGauge("controlplane.calllog.writer_up", () => IsWriting ? 1 : 0, description: "1 while the call-log writer runs; 0 once it died (the gateway then refuses calls)");
    }

    internal ChannelReader<MeteredCall> Reader => _channel.Reader;

    /// <summary>Refusal rows ready to be written: samples, and counted rows whose minute is over.</summary>
    internal ChannelReader<MeteredCall> RefusalRows => _refusalRows.Reader;

    /// <summary>Refused calls, sampled and counted per key, reason and minute instead of queued one by one.</summary>
    public RefusalTally Refusals { get; }

    /// <summary>Calls that found the queue full and had to wait for the writer: served calls should never.</summary>
    public long CallsThatWaited => Interlocked.Read(ref _waited);

    /// <summary>Sends the counted rows of minutes that are over to the writer now (a timer does it each second).</summary>
    public void MoveClosedRefusals() => MoveRefusals(all: false);

    private void MoveRefusals(bool all)
    {
        foreach (var row in Refusals.TakeClosed(all))
        {
            if (_refusalRows.Writer.TryWrite(row)) continue;
            Refusals.Written(1); // the log is stopped: the row is in the log, not waited on
            LogUnqueued(_logger, row.Record.Id, new RowDump(row));
        }
    }

    /// <summary>
    /// Queues the call, its text cleaned first (<see cref="CallText"/>); completes at once unless the writer is behind
    /// by a full queue. With the writer dead, a row that finds no room is logged whole rather than waited on forever.
    /// </summary>
    public ValueTask RecordAsync(MeteredCall call)
    {
        CallText.Clean(call.Record);
        if (call.Payload is { } payload) CallText.Clean(payload);
        _recorded.Add(1);
        if (call.Record.UsageSource == UsageSource.Estimated) _estimated.Add(1);
        if (call.Record.Unpriced) _unpriced.Add(1);
        if (RefusalTally.IsRefusal(call))
        {
            // Sampled onto the refusal path, counted into its minute's row, or dropped and counted: never waited on.
            if (Refusals.Add(call) == RefusalTally.Outcome.Sampled && !_refusalRows.Writer.TryWrite(call))
            {
                Refusals.Written(1);
                LogUnqueued(_logger, call.Record.Id, new RowDump(call));
            }
            return ValueTask.CompletedTask;
        }
        call.QueuedAt = _clock.GetTimestamp();
        if (_channel.Writer.TryWrite(call)) return ValueTask.CompletedTask;
        if (_writerDied is not null || _drained.Task.IsCompleted)
        {
            LogUnqueued(_logger, call.Record.Id, new RowDump(call));
            return ValueTask.CompletedTask;
        }
        // No cancellation: a call that happened is recorded even if its client is gone.
        return WriteWhenRoomAsync(call);
    }

    private async ValueTask WriteWhenRoomAsync(MeteredCall call)
    {
        Interlocked.Increment(ref _waited);
        _waits.Add(1);
        try
        {
            await _channel.Writer.WriteAsync(call, CancellationToken.None);
        }
        catch (ChannelClosedException)
        {
            LogUnqueued(_logger, call.Record.Id, new RowDump(call)); // a call that outlived the shutdown's drain
        }
    }

    /// <summary>How long the oldest served call not yet written has waited: in the batch being written, else at the head of the queue.</summary>
    public TimeSpan WriterLag
    {
        get
        {
            var oldest = Volatile.Read(ref _writingSince);
            if (oldest == 0 && _channel.Reader.TryPeek(out var next)) oldest = next.QueuedAt;
            return oldest == 0 ? TimeSpan.Zero : _clock.GetElapsedTime(oldest);
        }
    }

    /// <summary>The writer took a batch (served calls first, so its first row is its oldest) and writes it until it lands.</summary>
    internal void Writing(MeteredCall first) => Volatile.Write(ref _writingSince, first.QueuedAt);

    internal void Written() => Volatile.Write(ref _writingSince, 0);

    /// <summary>False once the writer has died: nothing drains the queue, so no new money may be held.</summary>
    public bool IsWriting => _writerDied is null;

    /// <summary>Why the writer died, or null.</summary>
    public Exception? WriterFailure => _writerDied;

    /// <summary>
    /// Closes the queue and waits until the writer has written everything in it (or has died, leaving the rest in
    /// the log). Shutdown awaits this before leases are returned, so every charge lands on the lease it came from.
    /// </summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        Complete();
        await _drained.Task.WaitAsync(ct);
    }

    public void Dispose() => _refusalClock.Dispose();

    internal void Complete()
    {
        _refusalClock.Dispose();
        Refusals.Close();
        MoveRefusals(all: true);
        _refusalRows.Writer.TryComplete();
        _channel.Writer.TryComplete();
    }

    /// <summary>The writer finished: the queue was completed and everything in it written.</summary>
    internal void MarkDrained() => _drained.TrySetResult();

    /// <summary>
    /// The writer's loop ended on an unexpected exception: new holds are refused from now on, and every row still
    /// queued is logged whole (with its charges), so an operator can replay it; nothing vanishes silently.
    /// </summary>
    internal void MarkWriterDead(Exception failure)
    {
        _writerDied = failure;
        Complete();
        while (_channel.Reader.TryRead(out var stranded)) LogUnqueued(_logger, stranded.Record.Id, new RowDump(stranded));
        while (_refusalRows.Reader.TryRead(out var stranded)) LogUnqueued(_logger, stranded.Record.Id, new RowDump(stranded));
        _drained.TrySetResult();
    }


    [LoggerMessage(Level = LogLevel.Critical, Message = "Call row {CallId} could not be queued (the call-log writer is stopped); the row and its charges: {Row}")]
    private static partial void LogUnqueued(ILogger logger, Guid callId, RowDump row);
}

/// <summary>A call row and its charges as JSON in the log, serialized only when the message is written.</summary>
internal readonly record struct RowDump(MeteredCall Call)
{
    public override string ToString() => System.Text.Json.JsonSerializer.Serialize(new { Call.Record, Call.Charges });
}
