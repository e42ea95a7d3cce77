using System.Threading.Channels;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// Sends due deliveries: claims each row with a conditional UPDATE (so a row is sent by one node at a time, and a node
/// that dies mid-send leaves a claim that simply runs out), sends it, and records the outcome. A failure waits
/// <see cref="NotificationOptions.RetryBackoff"/>, doubled for each attempt after the first, up to
/// <see cref="NotificationOptions.MaxAttempts"/>; then the row is failed and waits for a person's retry.
/// </summary>
public sealed partial class DeliveryDispatcher(
    IDbContextFactory<ControlPlaneDb> dbFactory, ChannelSender sender, IOptions<NotificationOptions> options, TimeProvider clock, ILogger<DeliveryDispatcher> logger)
{
    public static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(2);
    private readonly Channel<bool> _nudges = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Wakes the worker now (a delivery was just enqueued on this node).</summary>
    public void Nudge() => _nudges.Writer.TryWrite(true);

    /// <summary>Waits for a nudge or the poll interval, whichever comes first.</summary>
    public async Task WaitAsync(CancellationToken ct)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(ct);
        poll.CancelAfter(options.Value.PollInterval);
        try
        {
            await _nudges.Reader.ReadAsync(poll.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // the poll interval passed
        }
    }

    /// <summary>Sends every delivery due now; returns how many this node sent or failed.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        List<Guid> due;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            due = await db.Set<NotificationDelivery>().AsNoTracking()
                .Where(d => d.Status == DeliveryStatuses.Pending && d.NextAttemptAt <= now && (d.ClaimedUntil == null || d.ClaimedUntil < now))
                .OrderBy(d => d.NextAttemptAt).Select(d => d.Id).Take(50).ToListAsync(ct);
        var done = 0;
        foreach (var id in due)
            if (await DispatchAsync(id, ct)) done++;
        return done;
    }

    /// <summary>Claims and sends one delivery; false when another node holds it or it is no longer due.</summary>
    public Task<bool> DispatchAsync(Guid id, CancellationToken ct) => DispatchAsync(id, claimedByCaller: false, ct);

    /// <summary>Sends a delivery its caller wrote already claimed (a test send, answered on the spot).</summary>
    public Task<bool> SendClaimedAsync(Guid id, CancellationToken ct) => DispatchAsync(id, claimedByCaller: true, ct);

    private async Task<bool> DispatchAsync(Guid id, bool claimedByCaller, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var claimed = claimedByCaller ? 1 : await db.Set<NotificationDelivery>()
            .Where(d => d.Id == id && d.Status == DeliveryStatuses.Pending && d.NextAttemptAt <= now && (d.ClaimedUntil == null || d.ClaimedUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.ClaimedUntil, now + ClaimFor), ct);
        if (claimed == 0) return false;
        var delivery = await db.Set<NotificationDelivery>().FirstAsync(d => d.Id == id, ct);
        var channel = await db.Set<NotificationChannel>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == delivery.ChannelId, ct);
        delivery.Attempts++;
        delivery.ClaimedUntil = null;
        try
        {
            if (channel is null || !channel.Enabled) throw new DeliveryFailedException("The channel is switched off.");
            await sender.SendAsync(channel, delivery, ct);
            delivery.Status = DeliveryStatuses.Sent;
            delivery.SentAt = clock.GetUtcNow().UtcDateTime;
            delivery.LastError = null;
            LogSent(logger, delivery.Id, delivery.AlertKind, channel.Name, delivery.Attempts);
        }
        catch (DeliveryFailedException failure)
        {
            delivery.LastError = failure.Message;
            if (delivery.Attempts >= options.Value.MaxAttempts)
                delivery.Status = DeliveryStatuses.Failed;
            else
                delivery.NextAttemptAt = clock.GetUtcNow().UtcDateTime + Backoff(delivery.Attempts);
            LogFailed(logger, delivery.Id, delivery.AlertKind, channel?.Name ?? "?", delivery.Attempts, failure.Message);
        }
        await db.SaveChangesAsync(CancellationToken.None);
        return true;
    }

    /// <summary>The wait after the <paramref name="attempts"/>-th failed attempt: the base, doubled for each one after the first.</summary>
    public TimeSpan Backoff(int attempts) => options.Value.RetryBackoff * Math.Pow(2, Math.Clamp(attempts - 1, 0, 16));

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery {Id} ({Kind}) sent to channel '{Channel}' on attempt {Attempt}")]
    private static partial void LogSent(ILogger logger, Guid id, string kind, string channel, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {Id} ({Kind}) to channel '{Channel}' failed on attempt {Attempt}: {Error}")]
    private static partial void LogFailed(ILogger logger, Guid id, string kind, string channel, int attempt, string error);
}

/// <summary>Each node's delivery loop: wakes on a nudge or every poll interval and sends what is due.</summary>
public sealed partial class DeliveryWorker(DeliveryDispatcher dispatcher, ILogger<DeliveryWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await dispatcher.DispatchDueAsync(stoppingToken);
                await dispatcher.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLoopFailed(logger, ex);
                try { await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The notification delivery loop failed; it tries again")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
