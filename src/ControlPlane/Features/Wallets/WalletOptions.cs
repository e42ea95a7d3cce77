using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Features.Wallets;

/// <summary>The "Wallets" section: how budget leases behave.</summary>
public sealed class WalletOptions
{
    public const string Section = "Wallets";

    /// <summary>How long a lease lives without renewal: a node that died gives its budget back after this.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A lease unused this long is returned, so idle nodes do not sit on budget.</summary>
    public TimeSpan LeaseIdleReturn { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The smallest slice a node asks for (USD): small enough for tight budgets, big enough to batch.</summary>
    [Range(typeof(decimal), "0.000001", "1000000")]
    public decimal MinimumLease { get; set; } = 0.01m;

    /// <summary>How often this node renews or returns its leases (sweeping others' expired leases is the wallets.lease-sweep job).</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long after its expiry a lease may still be charged: the longest a call may still run once its node stopped
    /// renewing (a provider's TotalTimeoutSeconds covers every attempt of a call and is at most 3,600 s) plus a
    /// minute for its charge to be written. Another node sweeps a lease only after expiry plus this, so a sweep never
    /// returns money that a call still running may charge. Lower it only together with the providers' total timeouts.
    /// </summary>
    public TimeSpan SweepGrace { get; set; } = TimeSpan.FromMinutes(61);
}
