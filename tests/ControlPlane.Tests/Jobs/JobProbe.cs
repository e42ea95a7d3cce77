using System.Collections.Concurrent;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Tests.Jobs;

/// <summary>Shared by the nodes of one test: which node ran which attempt of the probe jobs.</summary>
public sealed class JobProbe
{
    public ConcurrentQueue<string> Runs { get; } = new();
    public TaskCompletionSource<string> FirstAttemptHolding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource<string> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Runs of <see cref="EveryMinuteJob"/>: the node and the minute (UTC) each ran in.</summary>
    public ConcurrentQueue<(string Node, DateTime Minute)> Scheduled { get; } = new();
}

/// <summary>This node's name in a test with several app hosts.</summary>
public sealed record NodeName(string Value);

/// <summary>Counts its runs; nothing else.</summary>
public sealed class CountingJob(JobProbe probe, NodeName node) : IScheduledJob
{
    public const string Id = "test.counting";

    public Task RunAsync(CancellationToken cancellationToken)
    {
        probe.Runs.Enqueue(node.Value);
        probe.Finished.TrySetResult(node.Value);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Does real, idempotent work (the wallets' period reset) and then, on its first attempt, holds until its node stops:
/// the node dies after the effect and before the job is done, so the job runs again elsewhere and repeats the effect.
/// </summary>
public sealed class InterruptedResetJob(JobProbe probe, NodeName node, WalletPeriodReset reset) : IScheduledJob
{
    public const string Id = "test.interrupted-reset";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        probe.Runs.Enqueue(node.Value);
        await reset.RollOverAsync(cancellationToken);
        if (probe.Runs.Count == 1)
        {
            probe.FirstAttemptHolding.TrySetResult(node.Value);
            await Task.Delay(Timeout.Infinite, cancellationToken); // until the node stops
        }
        probe.Finished.TrySetResult(node.Value);
    }
}

/// <summary>Always fails, with a message the alert must carry.</summary>
public sealed class FailingJob(JobProbe probe, NodeName node) : IScheduledJob
{
    public const string Id = "test.failing";
    public const string Error = "The bill source answered 503.";

    public Task RunAsync(CancellationToken cancellationToken)
    {
        probe.Runs.Enqueue(node.Value);
        throw new InvalidOperationException(Error);
    }
}

/// <summary>Left to its schedule (every minute): records which node ran it and in which minute, nothing else.</summary>
public sealed class EveryMinuteJob(JobProbe probe, NodeName node, TimeProvider clock) : IScheduledJob
{
    public const string Id = "test.every-minute";

    public Task RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        probe.Scheduled.Enqueue((node.Value, new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc)));
        return Task.CompletedTask;
    }
}
