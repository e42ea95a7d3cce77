using ControlPlane.Features.Gateway;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Wallets;

public static class WalletsFeature
{
    public static WebApplicationBuilder AddWallets(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WalletOptions>().BindConfiguration(WalletOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<WalletBook>();
        builder.Services.AddScoped<WalletService>();
        builder.Services.AddScoped<WalletQueries>();
        builder.Services.AddScoped<WalletBurn>();
        builder.Services.AddScoped<ChargebackExport>();
        builder.Services.AddSingleton<BudgetLeases>();
        builder.Services.AddSingleton<WalletStandings>();
        builder.Services.AddSingleton<ISpendGuard, WalletSpendGuard>();
        builder.Services.AddSingleton<ICallBatchHook, WalletChargeHook>();
        builder.Services.AddSingleton<WalletMaintenance>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WalletMaintenance>());
        // Every 5 minutes, in the organisation's time zone: a new period starts within minutes of midnight, and a
        // cluster that was down at a boundary catches up at its first run.
        builder.Services.AddScheduledJob<WalletPeriodReset>(WalletPeriodReset.JobId, "*/5 * * * *", "Start new wallet periods");
        // Every minute, once per cluster: a lease is swept only SweepGrace (an hour) past its expiry anyway.
        builder.Services.AddScheduledJob<LeaseSweep>(LeaseSweep.JobId, LeaseSweep.Cron, "Sweep leases of nodes that stopped renewing them");
        return builder;
    }
}
