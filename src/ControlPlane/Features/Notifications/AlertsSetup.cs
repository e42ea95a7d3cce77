namespace ControlPlane.Features.Notifications;

public static class AlertsSetup
{
    public static WebApplicationBuilder AddAlerts(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(ChannelSender.HttpClientName).ConfigurePrimaryHttpMessageHandler(Gateway.Relay.ProviderConnector.CheckedHandler);
        builder.Services.AddSingleton<ChannelSecrets>();
        builder.Services.AddSingleton<ChannelSender>();
        builder.Services.AddSingleton<SlackResponseUrl>();
        builder.Services.AddSingleton<AlertDedupGate>();
        builder.Services.AddSingleton<DeliveryDispatcher>();
        builder.Services.AddScoped<AlertAudience>();
        builder.Services.AddScoped<NotificationSettings>();
        builder.Services.AddScoped<NotificationChoices>();
        builder.Services.AddSingleton<ChannelAlerts>();
        builder.Services.AddSingleton<IAlerts>(sp => sp.GetRequiredService<ChannelAlerts>());
        builder.Services.AddHostedService<DeliveryWorker>();
        return builder;
    }
}
