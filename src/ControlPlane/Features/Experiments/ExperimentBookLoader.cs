using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Experiments;

/// <summary>Experiments or shadow tests changed (started, stopped, promoted, edited): every node reloads its book.</summary>
public sealed record ExperimentsChanged;

/// <summary>
/// Loads the book before the app takes calls and reloads it when an <see cref="ExperimentsChanged"/> arrives (from
/// this node, or from another through the cluster bus), and on a timer as a safety net.
/// </summary>
internal sealed partial class ExperimentBookLoader(ExperimentBook book, EventBus events, ILogger<ExperimentBookLoader> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await book.ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        using var subscription = events.Subscribe<ExperimentsChanged>(changed => { _ = ReloadAsync(stoppingToken); });
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await ReloadAsync(stoppingToken);
    }

    private async Task ReloadAsync(CancellationToken ct)
    {
        try
        {
            await book.ReloadAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReloadFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading experiments and shadow tests failed; the previous ones stay in use")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
