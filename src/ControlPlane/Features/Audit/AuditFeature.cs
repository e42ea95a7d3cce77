using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Audit;

public static class AuditFeature
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AuditChainKeys>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AuditTrail>();
        builder.Services.AddSingleton<AuditExport>();
        builder.Services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section);
        builder.Services.AddSingleton<AuditAnchors>();
        builder.Services.AddHostedService<AuditShutdownAnchor>();
        builder.Services.AddScheduledJob<AuditAnchorJob>(AuditAnchorJob.JobId, "*/5 * * * *", "Anchor the audit chain's head");
        builder.Services.AddScheduledJob<AuditChainCheck>(AuditChainCheck.JobId, "15 3 * * *", "Verify the audit chain");
        return builder;
    }
}
