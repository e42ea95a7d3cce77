using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Infrastructure.Live;

/// <summary>The "Live" section: how events reach the other nodes.</summary>
public sealed class LiveOptions
{
    public const string Section = "Live";

    /// <summary>SQL Server has no LISTEN/NOTIFY: each node reads the cluster_events table this often.</summary>
    [Range(100, 10_000, ErrorMessage = "Live:SqlServerPollMilliseconds must be between 100 and 10000.")]
    public int SqlServerPollMilliseconds { get; set; } = 500;

    /// <summary>Longest wait between attempts to get the channel to the other nodes back after it was lost.</summary>
    [Range(1, 300, ErrorMessage = "Live:ReconnectMaxSeconds must be between 1 and 300.")]
    public int ReconnectMaxSeconds { get; set; } = 5;
}
