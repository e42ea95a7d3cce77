using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// Gives back the budget of leases whose node stopped renewing them (it crashed or was cut off). Cluster-wide work, so a
/// recurring job that runs once per cluster; renewing stays with each node (<see cref="WalletMaintenance"/>), as
/// only a node knows which of its leases are still in use. A stalled node's renewal and this sweep race on the same
/// row, and both are conditional UPDATEs on it: the sweep closes only a lease still expired, the renewal extends only
/// a lease still open, so exactly one of them takes effect.
/// </summary>
public sealed partial class LeaseSweep(BudgetLeases leases, WalletBook book, ILogger<LeaseSweep> logger) : IScheduledJob
{
    public const string JobId = "wallets.lease-sweep";
    public const string Cron = "* * * * *";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var swept = await leases.SweepExpiredAsync(cancellationToken);
        if (swept == 0) return;
        await book.ReloadAsync(cancellationToken);
        LogSwept(logger, swept);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Swept {Count} expired lease(s) of nodes that stopped renewing them")]
    private static partial void LogSwept(ILogger logger, int count);
}
