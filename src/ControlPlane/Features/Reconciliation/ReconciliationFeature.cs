using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Reconciliation;

public static class ReconciliationFeature
{
    public static WebApplicationBuilder AddReconciliation(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReconciliationOptions>().BindConfiguration(ReconciliationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // The admin key goes only to an address the provider rule allows, and never along a redirect.
        builder.Services.AddHttpClient(BillFetcher.HttpClientName).ConfigurePrimaryHttpMessageHandler(Gateway.Relay.ProviderConnector.CheckedHandler);
        builder.Services.AddSingleton<BillFetcher>();
        builder.Services.AddScoped<ReconciliationService>();
        builder.Services.AddScoped<ProviderBillingIds>();
        builder.Services.AddSingleton<ReconciliationRuns>();
        builder.Services.AddScheduledJob<DailyReconciliation>(DailyReconciliation.JobId, DailyReconciliation.Cron,
            "Reconcile yesterday's bill of every provider with an admin key");
        return builder;
    }
}
