using ControlPlane.Features.Gateway;
using ControlPlane.Features.Metering;

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
        return builder;
    }
}
