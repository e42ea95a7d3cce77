using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Features.Limits;

/// <summary>The "Limits" section: limits beside money that apply to every key unless the key says otherwise.</summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    public CallerCeilingOptions CallerCeiling { get; set; } = new();

    /// <summary>
    /// Most callers (key + X-ControlPlane-Caller) this node tracks at once. Beyond it, a key's new callers share one
    /// ceiling, so a client that sends a different caller name on every call cannot grow the table without bound.
    /// </summary>
    [Range(100, 10_000_000)]
    public int MaxTrackedCallers { get; set; } = 100_000;
}

/// <summary>
/// The per-caller call-count ceiling that stops a runaway loop of cheap calls a dollar limit would let through:
/// at most <see cref="Calls"/> calls in any <see cref="WindowMinutes"/> minutes from one caller of one key.
/// </summary>
public sealed class CallerCeilingOptions
{
    /// <summary>Calls allowed per window; 0 turns the default off (a key's own ceiling still applies).</summary>
    [Range(0, 100_000_000)]
    public int Calls { get; set; } = 1000;

    /// <summary>The window in minutes; 0 turns every caller ceiling off, keys' own included.</summary>
    [Range(0, 1440)]
    public int WindowMinutes { get; set; } = 10;
}
