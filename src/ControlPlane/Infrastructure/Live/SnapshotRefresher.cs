namespace ControlPlane.Infrastructure.Live;

/// <summary>
/// Keeps one in-memory snapshot current (the key ring, the gateway catalogue, routing rules, prompts, experiments):
/// loaded before the app takes requests, reloaded at once when an event that changes it arrives (from this node, or
/// from another through the cluster bus), and on a timer as the safety net for what no event carried. A failed reload
/// keeps the previous snapshot and logs a warning: the database may be briefly gone, and calls go on being served.
/// </summary>
public abstract partial class SnapshotRefresher(ILogger logger) : BackgroundService
{
    /// <summary>How often the snapshot is reloaded when no event said it changed.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>What the snapshot is, for the log: "the gateway catalogue".</summary>
    protected abstract string Snapshot { get; }

    protected abstract Task ReloadAsync(CancellationToken ct);

    /// <summary>The subscriptions that reload at once (through <see cref="ReloadSoon"/>) on the events that change the snapshot.</summary>
    protected virtual IEnumerable<IDisposable> SubscribeToChanges(CancellationToken stoppingToken) => [];

    /// <summary>Work before the first load, e.g. syncing configuration into the database.</summary>
    protected virtual Task BeforeFirstLoadAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>What each timer tick does: a reload, unless a refresher has more to do on some ticks.</summary>
    protected virtual Task OnTickAsync(CancellationToken ct) => ReloadAsync(ct);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Not guarded: an app that cannot load its snapshot at start must not take requests.
        await BeforeFirstLoadAsync(cancellationToken);
        await ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscriptions = SubscribeToChanges(stoppingToken).ToList();
        try
        {
            using var timer = new PeriodicTimer(Interval);
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await GuardedAsync(OnTickAsync, stoppingToken);
        }
        finally
        {
            foreach (var subscription in subscriptions) subscription.Dispose();
        }
    }

    /// <summary>Starts a reload without waiting for it: what an event handler does.</summary>
    protected void ReloadSoon(CancellationToken ct) => _ = GuardedAsync(ReloadAsync, ct);

    private async Task GuardedAsync(Func<CancellationToken, Task> reload, CancellationToken ct)
    {
        try
        {
            await reload(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReloadFailed(logger, Snapshot, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading {Snapshot} failed; the previous one stays in use")]
    private static partial void LogReloadFailed(ILogger logger, string snapshot, Exception exception);
}
