using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Infrastructure.Live;

// In the gateway's namespace, which Program.cs already imports.
namespace ControlPlane.Features.Gateway;

/// <summary>Provider health (polled every 30 s, known on every node, feeding the router) and the model list sync.</summary>
public static class ProviderHealthFeature
{
    public static WebApplicationBuilder AddProviderHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ProviderHealthBoard>();
        builder.Services.AddHostedService<ProviderHealthLoader>();
        builder.Services.AddClusterEvent<ProviderHealthChanged>("provider.health.changed");
        // Six fields: seconds first (sub-minute recurring jobs).
        builder.Services.AddScheduledJob<ProviderHealthPoller>(ProviderHealthPoller.JobId, "*/30 * * * * *", "Provider health: probe every enabled provider");
        builder.Services.AddScoped<OfferedModels>();
        builder.Services.AddScheduledJob<ModelListSync>(ModelListSync.JobId, "30 3 * * *", "Model list sync: new upstream models offered on the Models page");
        return builder;
    }
}
