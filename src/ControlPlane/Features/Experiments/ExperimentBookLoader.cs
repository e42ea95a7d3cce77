using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Experiments;

/// <summary>Experiments or shadow tests changed (started, stopped, promoted, edited): every node reloads its book.</summary>
public sealed record ExperimentsChanged;

/// <summary>
/// Loads the book before the app takes calls and reloads it when an <see cref="ExperimentsChanged"/> arrives (from
/// this node, or from another through the cluster bus), and on a timer as a safety net.
/// </summary>
internal sealed class ExperimentBookLoader(ExperimentBook book, EventBus events, ILogger<ExperimentBookLoader> logger) : SnapshotRefresher(logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(15);
    protected override string Snapshot => "experiments and shadow tests";

    protected override Task ReloadAsync(CancellationToken ct) => book.ReloadAsync(ct);

    protected override IEnumerable<IDisposable> SubscribeToChanges(CancellationToken stoppingToken) =>
        [events.Subscribe<ExperimentsChanged>(_ => ReloadSoon(stoppingToken))];
}
