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

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} recurring job(s) scheduled in time zone {Zone}")]
    private static partial void LogRegistered(ILogger logger, int count, string zone);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recurring job {JobId} is no longer registered; removed it")]
    private static partial void LogRemoved(ILogger logger, string jobId);
}
