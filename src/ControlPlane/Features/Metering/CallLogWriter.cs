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

    private async Task WriteUntilItLandsAsync(List<MeteredCall> batch)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
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
                return;
            }
            catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or System.Data.Common.DbException or TimeoutException)
            {
                LogBatchFailed(logger, ex, batch.Count, attempt, delay);
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetryDelay.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} call rows failed (attempt {Attempt}); retrying in {Delay}")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count, int attempt, TimeSpan delay);
}
