namespace ControlPlane.Features.CallStats;

/// <summary>p50, p95 and p99 of one measure; null when there was nothing to measure.</summary>
public sealed record Spread(double? P50, double? P95, double? P99)
{
    public static Spread None { get; } = new(null, null, null);

    /// <summary>From values sorted ascending, as PostgreSQL's percentile_cont computes them.</summary>
    public static Spread OfSorted(IReadOnlyList<double> sorted) => sorted.Count == 0 ? None
        : new(Percentiles.Cont(sorted, 0.50), Percentiles.Cont(sorted, 0.95), Percentiles.Cont(sorted, 0.99));
}

/// <summary>Continuous percentiles, the SQL standard's percentile_cont: linear interpolation between the two nearest ranks.</summary>
public static class Percentiles
{
    /// <summary>The <paramref name="fraction"/> percentile of values sorted ascending (none may be missing).</summary>
    public static double Cont(IReadOnlyList<double> sorted, double fraction)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(fraction, 0d);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fraction, 1d);
        var rank = fraction * (sorted.Count - 1);
        var below = (int)Math.Floor(rank);
        var above = (int)Math.Ceiling(rank);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }
}
