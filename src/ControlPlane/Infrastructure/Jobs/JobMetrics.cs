using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hangfire.States;
using Hangfire.Storage;

namespace ControlPlane.Infrastructure.Jobs;

/// <summary>
/// <c>controlplane.jobs.failures</c>: failed runs of each background job on this node (a failure that will be retried
/// and the last one alike), from the same state change that raises <see cref="Features.Notifications.AlertKinds.JobFailing"/>.
/// Every registered job has a series from the start, at 0, so a rate over it works from its first failure.
/// </summary>
internal sealed class JobMetrics : IApplyStateFilter
{
    public const string MeterName = "ControlPlane.Jobs";
    private readonly ConcurrentDictionary<string, long> _failures = new(StringComparer.Ordinal);

    public JobMetrics(IMeterFactory meters, IEnumerable<ScheduledJobDefinition> jobs)
    {
        foreach (var job in jobs) _failures[job.Id] = 0;
        meters.Create(MeterName).CreateObservableCounter<long>("controlplane.jobs.failures", Observe, description: "Failed runs of each background job on this node (retried or not)");
    }

    public void OnStateApplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
        var failed = context.NewState switch
        {
            FailedState => true,
            ScheduledState { Reason: { } reason } => reason.StartsWith("Retry attempt", StringComparison.Ordinal),
            _ => false,
        };
        if (failed) _failures.AddOrUpdate(JobFailureAlerts.NameOf(context), 1, (_, n) => n + 1);
    }

    public void OnStateUnapplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
    }

    /// <summary>Failed runs so far of one job (0 for a registered job that never failed; null for one never seen).</summary>
    public long? FailuresOf(string job) => _failures.TryGetValue(job, out var n) ? n : null;

    private IEnumerable<Measurement<long>> Observe()
    {
        foreach (var (job, count) in _failures) yield return new Measurement<long>(count, new TagList { { "job", job } });
    }
}
