using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Features.Reconciliation;

/// <summary>The "Reconciliation" section: when a difference is drift, and how large an uploaded bill may be.</summary>
public sealed class ReconciliationOptions
{
    public const string Section = "Reconciliation";

    /// <summary>A line drifts only when its difference is more than this many USD …</summary>
    [Range(typeof(decimal), "0", "1000000")]
    public decimal DriftAbsolute { get; set; } = 0.50m;

    /// <summary>… and more than this percentage of the larger side (token counts: the percentage alone).</summary>
    [Range(typeof(decimal), "0", "100")]
    public decimal DriftPercent { get; set; } = 2m;

    /// <summary>The largest bill file the upload accepts.</summary>
    [Range(1024, 200 * 1024 * 1024)]
    public long MaxUploadBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>How long a fetch from a provider's admin API may take, all pages together.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
