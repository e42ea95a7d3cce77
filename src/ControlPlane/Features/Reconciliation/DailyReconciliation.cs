using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// Every day, fetches yesterday's bill of every provider with an admin key and reconciles it. Idempotent: a provider
/// whose yesterday already has a fetched report is skipped, so a rerun after a node died half-way only does the rest.
/// One provider failing does not stop the others; the failures are thrown together at the end so the scheduler shows them.
/// </summary>
public sealed partial class DailyReconciliation(ReconciliationService service, ReconciliationRuns runs, TimeProvider clock,
    ILogger<DailyReconciliation> logger) : IScheduledJob
{
    public const string JobId = "reconciliation.daily";
    public const string Cron = "30 6 * * *";
    public const string Actor = "job:reconciliation";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var yesterday = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-1);
        var failures = new List<string>();
        foreach (var provider in await service.FetchableProvidersAsync(cancellationToken))
        {
            if (await runs.FetchedAsync(provider, yesterday, cancellationToken)) continue;
            var outcome = await service.FetchAsAsync(Actor, provider, yesterday, cancellationToken);
            if (outcome.Succeeded) continue;
            LogFailed(logger, provider, outcome.Error!);
            failures.Add(outcome.Error!);
        }
        if (failures.Count > 0) throw new InvalidOperationException(string.Join(" ", failures));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling {Provider} failed: {Problem}")]
    private static partial void LogFailed(ILogger logger, string provider, string problem);
}
