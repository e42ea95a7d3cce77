using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>Providers, models, prices and the call log: what the gateway reads and the admin pages edit.</summary>
public static class CatalogueFeature
{
    public static WebApplicationBuilder AddGatewayCatalogue(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<GatewayOptions>, ConfiguredPricesValidation>();
        builder.Services.AddSingleton<ProviderSecrets>();
        builder.Services.AddSingleton<GatewayCatalog>();
        builder.Services.AddScoped<ConfiguredProviders>();
        builder.Services.AddHostedService<CatalogueLoader>();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<GatewayOptions>, ProviderAddressValidation>();
        builder.Services.AddSingleton(sp => new ProviderAddressPolicy(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>()));
        builder.Services.AddSingleton<IProviderHostResolver, DnsProviderHostResolver>();
        builder.Services.AddSingleton<ProviderConnector>();
        builder.Services.AddSingleton<ProviderClients>();
        builder.Services.AddScoped<ProviderService>();
        builder.Services.AddScoped<CatalogueService>();
        builder.Services.AddScoped<PriceBookService>();
        builder.Services.AddScoped<CallQueries>();
        builder.Services.AddSingleton<CallLog>();
        builder.Services.AddHostedService<CallLogWriter>();
        builder.Services.AddHealthChecks().AddCheck<CallLogReadyCheck>("call_log", tags: ["ready"]);
        // Shutdown waits for in-flight calls, then drains the call log, then returns leases: give it the time.
        builder.Services.AddOptions<HostOptions>().Configure<Microsoft.Extensions.Options.IOptions<GatewayOptions>>(
            (host, gateway) => host.ShutdownTimeout = TimeSpan.FromSeconds(gateway.Value.ShutdownTimeoutSeconds));
        builder.Services.AddScheduledJob<PayloadJanitor>("payloads.retention", "0 * * * *", "Delete kept prompts and completions past their retention");
        return builder;
    }
}
