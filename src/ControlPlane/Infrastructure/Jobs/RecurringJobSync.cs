using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Jobs;

/// <summary>
/// At start, makes Hangfire's recurring jobs exactly the registered <see cref="ScheduledJobDefinition"/>s, in the
/// organisation's time zone: new ones are added, changed schedules updated, and ones no feature registers any more
/// removed (so a deleted job does not fail forever), as are the ones <see cref="JobsOptions.Paused"/> names. Every node does it; the result is the same, so the order does not matter.
/// </summary>
internal sealed partial class RecurringJobSync(IEnumerable<ScheduledJobDefinition> definitions, IRecurringJobManager manager, JobStorage storage,
    IOptions<OrganisationOptions> organisation, IOptions<JobsOptions> jobs, ILogger<RecurringJobSync> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var zone = organisation.Value.Zone;
        CheckPaused(definitions, jobs.Value.Paused);
        var defined = definitions.Where(d => !jobs.Value.Paused.Contains(d.Id, StringComparer.Ordinal)).ToList();
        foreach (var definition in defined)
        {
            var id = definition.Id;
            manager.AddOrUpdate(id, Job.FromExpression<ScheduledJobRunner>(r => r.RunAsync(id, CancellationToken.None)), definition.Cron,
                new RecurringJobOptions { TimeZone = zone });
        }
        using var connection = storage.GetConnection();
        foreach (var stale in connection.GetRecurringJobs().Where(j => defined.All(d => d.Id != j.Id)))
        {
            manager.RemoveIfExists(stale.Id);
            LogRemoved(logger, stale.Id);
        }
        LogRegistered(logger, defined.Count, zone.Id);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Ids that earlier versions used, with today's: an operator's Jobs:Paused written for the old name is told the new one.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Renamed = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["provider-health"] = "providers.health",
        ["model-list-sync"] = "models.list-sync",
        ["reconciliation-daily"] = "reconciliation.daily",
        ["anomaly-alerts"] = "alerts.anomalies",
        ["digests"] = "digests.send",
        ["chargeback-exports"] = "finops.chargeback-exports",
    };

    /// <summary>
    /// A paused id that names no job would leave the job it meant running (e.g. one that reaches a real provider host),
    /// so the node refuses to start and says which ids exist.
    /// </summary>
    internal static void CheckPaused(IEnumerable<ScheduledJobDefinition> definitions, IEnumerable<string> paused)
    {
        var ids = definitions.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var id in paused.Where(p => !ids.Contains(p)))
        {
            var hint = Renamed.TryGetValue(id, out var now) ? $" It was renamed to '{now}'." : "";
            throw new InvalidOperationException(
                $"{JobsOptions.Section}:Paused names '{id}', which is no registered job.{hint} Job ids: {string.Join(", ", ids.Order(StringComparer.Ordinal))}.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} recurring job(s) scheduled in time zone {Zone}")]
    private static partial void LogRegistered(ILogger logger, int count, string zone);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recurring job {JobId} is no longer registered; removed it")]
    private static partial void LogRemoved(ILogger logger, string jobId);
}
