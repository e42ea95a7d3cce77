using System.ComponentModel;

namespace ControlPlane.Infrastructure.Jobs;

/// <summary>
/// What Hangfire stores for every recurring job: "run the registered job with this id". Hangfire activates this class
/// in a fresh DI scope per run; the job class is resolved from that scope, so a job is written like any other service.
/// Storing the id rather than the job's own type keeps stored jobs valid when a job class is renamed or moved.
/// </summary>
public sealed partial class ScheduledJobRunner(IServiceProvider services, IEnumerable<ScheduledJobDefinition> definitions, ILogger<ScheduledJobRunner> logger)
{
    [DisplayName("{0}")]
    public async Task RunAsync(string jobId, CancellationToken cancellationToken)
    {
        var definition = definitions.FirstOrDefault(d => d.Id == jobId)
            ?? throw new InvalidOperationException($"No scheduled job '{jobId}' is registered on this node; it was removed or renamed.");
        var job = (IScheduledJob)services.GetRequiredService(definition.JobType);
        LogStarting(logger, definition.Id);
        await job.RunAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Running scheduled job {JobId}")]
    private static partial void LogStarting(ILogger logger, string jobId);
}
