using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Routing;

/// <summary>Routing rules, region locks and the explain box (issue 15); the gateway calls <see cref="RouteSelector"/>.</summary>
public static class RoutingFeature
{
    public static WebApplicationBuilder AddRouting(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RoutingTable>();
        builder.Services.AddSingleton<RouteSelector>();
        builder.Services.AddHostedService<RoutingLoader>();
        builder.Services.AddScoped<RoutingService>();
        builder.Services.AddScoped<RouteExplainer>();
        builder.Services.AddClusterEvent<RoutingChanged>("routing.changed", maybeMissed: () => new RoutingChanged());
        return builder;
    }
}
