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
        builder.Services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section)
            .Validate(o => o.AnchorInterval > TimeSpan.Zero, $"{AuditOptions.Section}:AnchorInterval must be positive.").ValidateOnStart();
        builder.Services.AddSingleton<AuditAnchors>();
        builder.Services.AddHostedService<AuditAnchorSchedule>();
        return builder;
    }
}
