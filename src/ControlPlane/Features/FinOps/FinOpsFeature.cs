using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.FinOps;

public static class FinOpsFeature
{
    public static WebApplicationBuilder AddFinOps(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FinOpsOptions>().BindConfiguration(FinOpsOptions.Section);
        builder.Services.AddScoped<CostCentres>();
        builder.Services.AddScoped<ChargebackExports>();
        builder.Services.AddScheduledJob<ChargebackExportJob>(ChargebackExportJob.Id, ChargebackExportJob.Cron, "Scheduled chargeback exports");
        return builder;
    }
}
