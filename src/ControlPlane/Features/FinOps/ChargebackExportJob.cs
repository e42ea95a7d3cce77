using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.FinOps;

/// <summary>Hourly: runs the scheduled chargeback exports whose day has come (each period once; see <see cref="ChargebackExports.RunDueAsync"/>).</summary>
public sealed class ChargebackExportJob(ChargebackExports exports) : IScheduledJob
{
    public const string Id = "finops.chargeback-exports";
    public const string Cron = "15 * * * *";

    public async Task RunAsync(CancellationToken cancellationToken) => await exports.RunDueAsync(cancellationToken);
}
