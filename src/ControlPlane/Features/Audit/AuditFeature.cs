namespace ControlPlane.Features.Audit;

public static class AuditFeature
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AuditTrail>();
        return builder;
    }
}
