using ControlPlane.Features.Notifications;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Transfers;

public static class TransfersFeature
{
    public static WebApplicationBuilder AddTransfers(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TransferOptions>().BindConfiguration(TransferOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<TransferService>();
        builder.Services.AddScoped<TransferQueries>();
        builder.Services.AddSingleton<TransferNews>();
        builder.Services.AddScoped<ITransferDesk, ChatTransferDesk>();
        builder.Services.AddClusterEvent<TransferChanged>("transfer.changed");
        builder.Services.AddScheduledJob<TransferSweeper>("transfers.expiry", "* * * * *", "Expire undecided transfers and return expired grants");
        builder.Services.AddHostedService<WalletBookFollower>();
        return builder;
    }
}

/// <summary>Reloads this node's wallet book when a transfer moved budget on any node, so new limits hold within a second.</summary>
internal sealed partial class WalletBookFollower(EventBus events, WalletBook book, ILogger<WalletBookFollower> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = events.Subscribe<TransferChanged>(change =>
        {
            if (change.MovedBudget) _ = ReloadAsync();
        });
        return Task.CompletedTask;
    }

    private async Task ReloadAsync()
    {
        try
        {
            await book.ReloadAsync();
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex); // the book reloads on its own timer anyway
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the wallet book after a transfer failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
