using ControlPlane.Features.Notifications;
using Hangfire.States;
using Hangfire.Storage;

namespace ControlPlane.Infrastructure.Jobs;

/// <summary>
/// Raises <see cref="AlertKinds.JobFailing"/> when a job fails: once per failed attempt while it will be retried, and
/// once more, critical, when the retries are used up and the job stops until someone triggers it again. The state
/// change is applied once per cluster, so the alert is raised once however many nodes run.
/// </summary>
internal sealed partial class JobFailureAlerts(IAlerts alerts, int retryAttempts, ILogger logger) : IApplyStateFilter
{
    public void OnStateApplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
        var alert = context.NewState switch
        {
            FailedState failed => Stopped(context, failed),
            ScheduledState { Reason: { } reason } when reason.StartsWith("Retry attempt", StringComparison.Ordinal) => Retrying(context, reason),
            _ => null,
        };
        if (alert is null) return;
        try
        {
            // Hangfire's filters are synchronous; raising only records the alert for the delivery worker, so waiting is short.
            alerts.RaiseAsync(alert).GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            LogAlertFailed(logger, ex, NameOf(context)); // the job's own state is already recorded; never fail the state change
        }
    }

    public void OnStateUnapplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
    }

    private Alert Stopped(ApplyStateContext context, FailedState failed)
    {
        var name = NameOf(context);
        var error = $"{failed.Exception.GetType().Name}: {failed.Exception.Message}";
        return new Alert(AlertKinds.JobFailing, $"Job {name} failed and stopped retrying",
            $"The background job {name} failed {retryAttempts + 1} time(s) in a row and will not be retried until its next schedule or until someone triggers it on /jobs.\nLast error: {error}",
            AlertSeverity.Critical, Link: "/jobs/jobs/failed", DedupKey: $"job:{context.BackgroundJob.Id}:stopped",
            Facts: new Dictionary<string, string> { ["Job"] = name, ["Attempts"] = (retryAttempts + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), ["Error"] = error });
    }

    private static Alert Retrying(ApplyStateContext context, string reason)
    {
        var name = NameOf(context);
        return new Alert(AlertKinds.JobFailing, $"Job {name} failed; retrying",
            $"The background job {name} failed and will be retried ({reason}).", AlertSeverity.Warning, Link: "/jobs/jobs/scheduled",
            DedupKey: $"job:{context.BackgroundJob.Id}:{reason}", Facts: new Dictionary<string, string> { ["Job"] = name, ["Retry"] = reason });
    }

    /// <summary>A scheduled job by its registered id; any other job by its method.</summary>
    internal static string NameOf(ApplyStateContext context) =>
        context.BackgroundJob.Job is { Type: var type, Args: [string id, ..] } && type == typeof(ScheduledJobRunner)
            ? id
            : context.BackgroundJob.Job?.ToString() ?? context.BackgroundJob.Id;

    [LoggerMessage(Level = LogLevel.Error, Message = "Raising the failure alert of job {Job} failed")]
    private static partial void LogAlertFailed(ILogger logger, Exception exception, string job);
}
