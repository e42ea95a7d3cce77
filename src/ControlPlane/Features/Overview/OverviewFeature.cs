using ControlPlane.Features.Metering;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Overview;

public static class OverviewFeature
{
    public static WebApplicationBuilder AddOverview(this WebApplicationBuilder builder)
    {
        // After the wallets' hook (AddWallets comes first): every node takes wallet locks, then rollup rows, in one order.
        builder.Services.AddSingleton<ICallBatchHook, CallRollupHook>();
        builder.Services.AddSingleton<CallRollups>();
        builder.Services.AddOptions<RollupOptions>().BindConfiguration(RollupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScheduledJob<MinuteRollupJanitor>("rollups.compaction", "30 * * * *", "Delete minute rollups past Rollups:MinuteDays");
        builder.Services.AddScoped<TeamSpendByDay>();
        builder.Services.AddScoped<OverviewScopes>();
        builder.Services.AddSingleton<LiveTotalsReader>();
        builder.Services.AddSingleton<SpendWatches>();
        builder.Services.AddScoped<SpendBreakdown>();
        builder.Services.AddScoped<TopSpenders>();
        builder.Services.AddScoped<WalletWatch>();
        builder.Services.AddScoped<SpendAnomalies>();
        builder.Services.AddScheduledJob<AnomalyAlerts>(AnomalyAlerts.JobId, "5 * * * *", "Anomaly alerts: unusual spend per key and team");
        return builder;
    }
}
