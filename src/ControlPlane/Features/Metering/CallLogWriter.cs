using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering;

/// <summary>
/// Drains <see cref="CallLog"/> into the database, many rows per transaction, each row with its wallet charges.
/// Nothing is dropped:
/// <list type="bullet">
/// <item>a transient failure (the database gone, a timeout, a serialization failure) is retried with backoff,
/// forever: an outage of minutes delays writes and loses nothing;</item>
/// <item>a permanent failure (<see cref="WriteFailures"/>) splits the batch until the refused row is alone; that row
/// is then written in a minimal safe form (no caller text) with its charges in the same transaction; only if even
/// that is refused are its charges written alone and the row logged whole as skipped;</item>
/// <item>before any retry, rows that did land (a commit whose acknowledgement was lost) are taken out, so nothing
/// is charged twice;</item>
/// <item>on shutdown the queue is drained before the app exits (and before leases are returned: see
/// <see cref="CallLog.DrainAsync"/>).</item>
/// </list>
/// An exception that is not the database's (a bug) ends the loop: <see cref="CallLog.MarkWriterDead"/> makes the
/// gateway refuse new holds and /ready report not ready, rather than losing rows.
/// </summary>
internal sealed partial class CallLogWriter(CallLog log, IDbContextFactory<ControlPlaneDb> dbFactory, IEnumerable<ICallBatchHook> hooks, ILogger<CallLogWriter> logger) : BackgroundService
{
    private const int BatchSize = 500;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>What a row that cannot be written as metered keeps in place of its text.</summary>
    internal const string UnwritableMarker = "[unwritable]";

    // The loop ignores the stopping token: it ends when the queue is completed and empty (see StopAsync).
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // let the host go on starting
        try
        {
            var batch = new List<MeteredCall>(BatchSize);
            while (await WaitForRowsAsync())
            {
                // Served calls first; refusal rows fill what room is left in the batch.
                while (batch.Count < BatchSize && log.Reader.TryRead(out var call)) batch.Add(call);
                var refusals = 0;
                while (batch.Count < BatchSize && log.RefusalRows.TryRead(out var row))
                {
                    batch.Add(row);
                    refusals++;
                }
                if (batch.Count == 0) continue;
                log.Writing(batch[0]);
                await WriteUntilItLandsAsync(batch);
                log.Written();
                log.Refusals.Written(refusals);
                batch.Clear();
            }
            log.MarkDrained();
        }
        catch (Exception ex)
        {
            // Not rethrown: that would stop the whole host. The gateway answers 503 instead, and /ready says why.
            LogWriterDied(logger, ex);
            log.MarkWriterDead(ex);
        }
    }

    // The writer's waits on each queue, kept across rounds: a wait is started again only once it has answered.
    private Task<bool>? _callsWait, _refusalsWait;

    /// <summary>Waits until either queue has a row; false once both are completed and empty.</summary>
    private async Task<bool> WaitForRowsAsync()
    {
        while (true)
        {
            _callsWait ??= log.Reader.WaitToReadAsync(CancellationToken.None).AsTask();
            _refusalsWait ??= log.RefusalRows.WaitToReadAsync(CancellationToken.None).AsTask();
            if (_callsWait.IsCompleted && await _callsWait)
            {
                _callsWait = null;
                return true;
            }
            if (_refusalsWait.IsCompleted && await _refusalsWait)
            {
                _refusalsWait = null;
                return true;
            }
            // A wait that answered false is a queue completed and empty: only the other one is left to wait on.
            if (_callsWait.IsCompleted && _refusalsWait.IsCompleted) return false;
            await Task.WhenAny(_callsWait.IsCompleted ? _refusalsWait : _refusalsWait.IsCompleted ? _callsWait : Task.WhenAny(_callsWait, _refusalsWait));
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await log.DrainAsync(cancellationToken);
        await base.StopAsync(cancellationToken);
    }

    /// <summary>Writes the batch, retrying transient failures forever and splitting on permanent ones.</summary>
    private async Task WriteUntilItLandsAsync(List<MeteredCall> batch)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            Exception failure;
            try
            {
                await WriteAsync(batch, rows: true);
                return;
            }
            catch (Exception ex) when (WriteFailures.Classify(ex) == WriteFailure.Transient)
            {
                LogBatchFailed(logger, ex, batch.Count, attempt, delay);
                await Task.Delay(delay);
                delay = Longer(delay);
                batch = await UnwrittenAsync(batch);
                if (batch.Count == 0) return;
                continue;
            }
            catch (Exception ex) when (WriteFailures.Classify(ex) == WriteFailure.Permanent)
            {
                failure = ex;
            }

            batch = await UnwrittenAsync(batch);
            if (batch.Count == 0) return;
            if (batch.Count > 1)
            {
                // One row spoils the batch: halve it until the bad row is alone, so its neighbours land untouched.
                var half = batch.Count / 2;
                await WriteUntilItLandsAsync(batch.Take(half).ToList());
                await WriteUntilItLandsAsync(batch.Skip(half).ToList());
                return;
            }
            await WriteRefusedRowAsync(batch[0], failure);
            return;
        }
    }

    /// <summary>
    /// One row the database refuses for good. Its charge is never skipped: first the row in a minimal safe form with
    /// its charges; if even that is refused, the charges alone. Either way the row is logged whole.
    /// </summary>
    private async Task WriteRefusedRowAsync(MeteredCall call, Exception failure)
    {
        var minimal = new MeteredCall(Minimal(call.Record), null, call.Charges);
        if (await TryWriteAsync(minimal, rows: true))
        {
            LogWrittenMinimal(logger, failure, call.Record.Id, new RowDump(call));
            return;
        }
        if (await TryWriteAsync(call, rows: false))
        {
            LogSkippedChargesKept(logger, failure, call.Record.Id, new RowDump(call));
            return;
        }
        LogLost(logger, failure, call.Record.Id, new RowDump(call));
    }

    /// <summary>Writes one call (row and charges, or charges alone), retrying transient failures; false when refused.</summary>
    private async Task<bool> TryWriteAsync(MeteredCall call, bool rows)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync([call], rows);
                return true;
            }
            catch (Exception ex) when (WriteFailures.Classify(ex) == WriteFailure.Transient)
            {
                LogBatchFailed(logger, ex, 1, attempt, delay);
                await Task.Delay(delay);
                delay = Longer(delay);
                if (await UnwrittenAsync([call]) is []) return true; // it landed although the commit was not acknowledged
            }
            catch (Exception ex) when (WriteFailures.Classify(ex) == WriteFailure.Permanent)
            {
                if (rows && await UnwrittenAsync([call]) is []) return true;
                return false;
            }
        }
    }

    /// <summary>The row as it is written when it cannot be written as metered: ids, time, status, tokens, cost; no caller text.</summary>
    internal static CallRecord Minimal(CallRecord r) => new()
    {
        Id = r.Id,
        At = r.At,
        KeyId = r.KeyId,
        TeamId = r.TeamId,
        Endpoint = r.Endpoint is "chat" or "messages" or "embeddings" or "models" ? r.Endpoint : "chat",
        Caller = r.Caller is null ? null : UnwritableMarker,
        EndUser = r.EndUser is null ? null : UnwritableMarker,
        ModelRequested = r.ModelRequested is null ? null : UnwritableMarker,
        ModelServed = r.ModelServed is null ? null : UnwritableMarker,
        ProviderId = r.ProviderId,
        ProviderName = r.ProviderName is null ? null : UnwritableMarker,
        RouteReason = "the row as metered was refused by the database; it is in the log",
        Status = r.Status,
        ErrorClass = r.ErrorClass is null ? null : "unwritable_row",
        Retries = r.Retries,
        Streamed = r.Streamed,
        InputTokens = r.InputTokens,
        CachedInputTokens = r.CachedInputTokens,
        OutputTokens = r.OutputTokens,
        Cost = r.Cost,
        Unpriced = r.Unpriced,
        UsageSource = r.UsageSource,
        LatencyMs = r.LatencyMs,
        RequestBytes = r.RequestBytes,
        ResponseBytes = r.ResponseBytes,
        Count = r.Count,
    };

    private async Task WriteAsync(IReadOnlyList<MeteredCall> batch, bool rows)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        if (rows)
        {
            foreach (var call in batch)
            {
                db.Calls.Add(call.Record);
                if (call.Payload is { } payload) db.CallPayloads.Add(payload);
            }
            // The rows first, then the hooks: wallet rows are locked for as short a time as possible.
            await db.SaveChangesAsync();
        }
        var afterCommit = new List<Action>();
        foreach (var hook in hooks)
            if ((rows || !hook.NeedsRows) && await hook.ApplyAsync(db, batch, CancellationToken.None) is { } then) afterCommit.Add(then);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        foreach (var then in afterCommit) then();
    }

    /// <summary>
    /// The calls of <paramref name="batch"/> whose rows are not in the database. A batch is one transaction, so after
    /// a lost acknowledgement either all of it landed or none; asked again until the database answers.
    /// </summary>
    private async Task<List<MeteredCall>> UnwrittenAsync(List<MeteredCall> batch)
    {
        var delay = FirstRetryDelay;
        while (true)
        {
            try
            {
                var ids = batch.Select(c => c.Record.Id).ToList();
                await using var db = await dbFactory.CreateDbContextAsync();
                var written = (await db.Calls.AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => c.Id).ToListAsync()).ToHashSet();
                return written.Count == 0 ? batch : batch.Where(c => !written.Contains(c.Record.Id)).ToList();
            }
            catch (Exception ex) when (WriteFailures.Classify(ex) != WriteFailure.Unexpected)
            {
                LogBatchFailed(logger, ex, batch.Count, 0, delay);
                await Task.Delay(delay);
                delay = Longer(delay);
            }
        }
    }

    private static TimeSpan Longer(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetryDelay.Ticks));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} call rows failed (attempt {Attempt}); retrying in {Delay}")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call row {CallId} was refused by the database; written without its text, its charges kept. The row as metered: {Row}")]
    private static partial void LogWrittenMinimal(ILogger logger, Exception exception, Guid callId, RowDump row);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call row {CallId} was refused by the database even without its text and was skipped; its charges were written alone. The row: {Row}")]
    private static partial void LogSkippedChargesKept(ILogger logger, Exception exception, Guid callId, RowDump row);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Call row {CallId} and its charges were refused by the database; they are only in this log: {Row}")]
    private static partial void LogLost(ILogger logger, Exception exception, Guid callId, RowDump row);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The call-log writer stopped on an unexpected error; the gateway refuses new calls until the app is restarted")]
    private static partial void LogWriterDied(ILogger logger, Exception exception);
}
