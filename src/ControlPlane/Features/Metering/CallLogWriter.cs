using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering;

/// <summary>
/// Drains <see cref="CallLog"/> into the database, many rows per transaction. A failed batch is retried until it
/// lands (a database that is briefly gone loses nothing); on shutdown the queue is drained before the app exits.
/// </summary>
internal sealed partial class CallLogWriter(CallLog log, IDbContextFactory<ControlPlaneDb> dbFactory, IEnumerable<ICallBatchHook> hooks, ILogger<CallLogWriter> logger) : BackgroundService
{
    private const int BatchSize = 500;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(10);
    private const int SplitAfterAttempts = 5;

    // The loop ignores the stopping token: it ends when the queue is completed and empty (see StopAsync).
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<MeteredCall>(BatchSize);
        while (await log.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < BatchSize && log.Reader.TryRead(out var call)) batch.Add(call);
            await WriteUntilItLandsAsync(batch);
            batch.Clear();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        log.Complete();
        if (ExecuteTask is { } running) await running.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Retries a failing batch with backoff (the database may be briefly gone). After a few failures the batch is
    /// written call by call, so one row that can never be written (or one that did land although its commit was
    /// not acknowledged) cannot hold up all the others; such a row is logged whole and skipped.
    /// </summary>
    private async Task WriteUntilItLandsAsync(List<MeteredCall> batch)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch);
                return;
            }
            catch (Exception ex) when (IsDatabaseFailure(ex))
            {
                LogBatchFailed(logger, ex, batch.Count, attempt, delay);
                if (attempt >= SplitAfterAttempts && batch.Count > 1)
                {
                    foreach (var call in batch) await WriteAloneAsync(call);
                    return;
                }
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetryDelay.Ticks));
            }
        }
    }

    private async Task WriteAloneAsync(MeteredCall call)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync([call]);
                return;
            }
            catch (Exception ex) when (IsDatabaseFailure(ex))
            {
                if (await AlreadyWrittenAsync(call.Record.Id)) return;
                if (attempt >= SplitAfterAttempts && await DatabaseAnswersAsync())
                {
                    // The database is up and still refuses this row: keep it in the log rather than block the queue.
                    LogDropped(logger, ex, call.Record.Id, System.Text.Json.JsonSerializer.Serialize(call.Record));
                    return;
                }
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetryDelay.Ticks));
            }
        }
    }

    private async Task WriteAsync(IReadOnlyList<MeteredCall> batch)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        foreach (var call in batch)
        {
            db.Calls.Add(call.Record);
            if (call.Payload is { } payload) db.CallPayloads.Add(payload);
        }
        // The rows first, then the hooks: wallet rows are locked for as short a time as possible.
        await db.SaveChangesAsync();
        var afterCommit = new List<Action>();
        foreach (var hook in hooks)
            if (await hook.ApplyAsync(db, batch, CancellationToken.None) is { } then) afterCommit.Add(then);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        foreach (var then in afterCommit) then();
    }

    private async Task<bool> AlreadyWrittenAsync(Guid callId)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            return await db.Calls.AnyAsync(c => c.Id == callId);
        }
        catch (Exception ex) when (IsDatabaseFailure(ex))
        {
            return false;
        }
    }

    private async Task<bool> DatabaseAnswersAsync()
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            return await db.Database.CanConnectAsync();
        }
        catch (Exception ex) when (IsDatabaseFailure(ex))
        {
            return false;
        }
    }

    private static bool IsDatabaseFailure(Exception ex) =>
        ex is DbUpdateException or InvalidOperationException or System.Data.Common.DbException or TimeoutException;

    [LoggerMessage(Level = LogLevel.Error, Message = "Call row {CallId} cannot be written and was skipped: {Row}")]
    private static partial void LogDropped(ILogger logger, Exception exception, Guid callId, string row);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} call rows failed (attempt {Attempt}); retrying in {Delay}")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count, int attempt, TimeSpan delay);
}
