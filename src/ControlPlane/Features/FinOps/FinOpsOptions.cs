namespace ControlPlane.Features.FinOps;

/// <summary>FinOps settings (section "FinOps").</summary>
public sealed class FinOpsOptions
{
    public const string Section = "FinOps";

    /// <summary>
    /// The only folder scheduled exports may write under (each schedule names a path inside it). Unset: folder
    /// destinations are refused.
    /// </summary>
    public string? ExportRoot { get; set; }
}
