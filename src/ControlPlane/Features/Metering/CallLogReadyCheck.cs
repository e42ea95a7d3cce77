using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ControlPlane.Features.Metering;

/// <summary>/ready fails once the call-log writer has died: the node refuses calls, so the load balancer should skip it.</summary>
internal sealed class CallLogReadyCheck(CallLog log) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(log.WriterFailure is { } failure
            ? HealthCheckResult.Unhealthy("The call-log writer stopped; calls are refused until the app is restarted.", failure)
            : HealthCheckResult.Healthy("The call-log writer is running."));
}
