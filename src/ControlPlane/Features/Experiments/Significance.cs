using MathNet.Numerics.Distributions;

namespace ControlPlane.Features.Experiments;

/// <summary>A test's statistic (z or t), its two-sided p-value, and whether it is below the experiment's alpha.</summary>
public sealed record TestResult(double Statistic, double PValue, bool Significant)
{
    public static TestResult None { get; } = new(0, 1, false);
}

/// <summary>n, mean and sample variance (n − 1) of one measure of one variant.</summary>
public sealed record Sample(long N, double Mean, double Variance)
{
    public static Sample Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return new(0, 0, 0);
        var mean = values.Average();
        var variance = values.Count > 1 ? values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) : 0;
        return new(values.Count, mean, variance);
    }
}

/// <summary>
/// The two tests experiments use (two-sided, distributions from MathNet.Numerics): a two-proportion z-test for rates
/// (errors, positive feedback) and Welch's t-test for means with unequal variances (cost, latency).
/// </summary>
public static class Significance
{
    /// <summary>
    /// z = (p₁ − p₂) / √(p̂(1 − p̂)(1/n₁ + 1/n₂)) with the pooled p̂ = (x₁ + x₂)/(n₁ + n₂); p = 2(1 − Φ(|z|)).
    /// No test (p = 1) when a side is empty or the pooled rate is 0 or 1 (nothing varies).
    /// </summary>
    public static TestResult TwoProportionZ(long x1, long n1, long x2, long n2, double alpha)
    {
        if (n1 <= 0 || n2 <= 0) return TestResult.None;
        var pooled = (double)(x1 + x2) / (n1 + n2);
        var se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
        if (se == 0) return TestResult.None;
        var z = ((double)x1 / n1 - (double)x2 / n2) / se;
        var p = 2 * (1 - Normal.CDF(0, 1, Math.Abs(z)));
        return new(z, p, p < alpha);
    }

    /// <summary>
    /// t = (m₁ − m₂) / √(s₁²/n₁ + s₂²/n₂), with Welch–Satterthwaite degrees of freedom; p = 2(1 − T_df(|t|)).
    /// No test when a side has fewer than two values or neither varies.
    /// </summary>
    public static TestResult WelchT(Sample a, Sample b, double alpha)
    {
        if (a.N < 2 || b.N < 2) return TestResult.None;
        var va = a.Variance / a.N;
        var vb = b.Variance / b.N;
        var se2 = va + vb;
        if (se2 <= 0) return TestResult.None;
        var t = (a.Mean - b.Mean) / Math.Sqrt(se2);
        var df = se2 * se2 / (va * va / (a.N - 1) + vb * vb / (b.N - 1));
        var p = 2 * (1 - StudentT.CDF(0, 1, df, Math.Abs(t)));
        return new(t, p, p < alpha);
    }

    /// <summary>Welch–Satterthwaite degrees of freedom, for display and tests.</summary>
    public static double WelchDegreesOfFreedom(Sample a, Sample b)
    {
        var va = a.Variance / a.N;
        var vb = b.Variance / b.N;
        return (va + vb) * (va + vb) / (va * va / (a.N - 1) + vb * vb / (b.N - 1));
    }
}
