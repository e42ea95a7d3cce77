namespace ControlPlane.Features.Wallets;

/// <summary>What this node's leases hold right now, for the metrics.</summary>
public readonly record struct LeaseTotals(int Leases, decimal Available, decimal Held, int Holds, long Grants, long Lost);

public sealed partial class BudgetLeases
{
    private long _grants;
    private long _lost;

    /// <summary>
    /// This node's leases summed: how many wallets it holds a lease on, the budget free in them (a debt counts
    /// negative), what calls in flight hold, how many calls hold, and how many grants and lost leases there were since start.
    /// </summary>
    public LeaseTotals Totals()
    {
        LocalLease[] leases;
        lock (_leasesGate) leases = [.. _leases.Values];
        int count = 0, holds = 0;
        decimal available = 0, held = 0;
        foreach (var lease in leases)
        {
            lock (lease)
            {
                if (lease.Current is { } current)
                {
                    count++;
                    available += current.Available;
                    held += current.Held;
                    holds += current.Holds;
                }
                foreach (var retired in lease.Retired)
                {
                    held += retired.Held;
                    holds += retired.Holds;
                }
            }
        }
        return new LeaseTotals(count, available, held, holds, Interlocked.Read(ref _grants), Interlocked.Read(ref _lost));
    }
}
