namespace ControlPlane.Features.Notifications;

public static class AlertsSetup
{
    public static WebApplicationBuilder AddAlerts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IAlerts, LoggedAlerts>();
        return builder;
    }
}
