using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// Keeps this node's money in order: reloads the wallet book and renews or returns this node's leases. Leases are
/// returned at shutdown. It stays a per-node timer (leases are this node's); sweeping the leases of nodes that died
/// and starting new periods are cluster-wide work, in the <see cref="LeaseSweep"/> and <see cref="WalletPeriodReset"/> jobs.
/// </summary>
public sealed partial class WalletMaintenance(WalletBook book, BudgetLeases leases,
    IOptions<WalletOptions> options, TimeProvider clock, Metering.CallLog callLog, ILogger<WalletMaintenance> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await book.ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MaintenanceInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex); // the database may be briefly gone: try again next tick
            }
        }
    }

    public async Task RunOnceAsync(CancellationToken ct = default)
    {
        await leases.MaintainAsync(returnAll: false, ct);
        await book.ReloadAsync(ct);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            // Every queued charge lands on its lease before the lease is returned, whatever order the host stops us in.
            await callLog.DrainAsync(cancellationToken);
            await leases.MaintainAsync(returnAll: true, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex); // unreturned leases expire and the wallets.lease-sweep job gives them back
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wallet maintenance failed; retrying next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
