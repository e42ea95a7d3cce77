using ControlPlane.Features.Experiments;

namespace ControlPlane.Tests.Experiments;

/// <summary>The significance tests against values computed by hand (and checked with an independent incomplete-beta evaluation).</summary>
public sealed class StatisticsTests
{
    [Fact]
    public void A_two_proportion_z_test_matches_the_hand_computed_z_and_p()
    {
        // 30/200 vs 50/200: pooled 0.2, se = √(0.2·0.8·(1/200 + 1/200)) = 0.04, z = (0.15 − 0.25)/0.04 = −2.5, p = 2(1 − Φ(2.5)).
        var test = Significance.TwoProportionZ(30, 200, 50, 200, alpha: 0.05);

        Assert.Equal(-2.5, test.Statistic, 10);
        Assert.Equal(0.0124193307, test.PValue, 8);
        Assert.True(test.Significant);
        Assert.False(Significance.TwoProportionZ(30, 200, 50, 200, alpha: 0.01).Significant);
    }

    [Fact]
    public void Welchs_t_test_matches_the_hand_computed_t_degrees_of_freedom_and_p()
    {
        // n 10, mean 20, s² 16 against n 12, mean 15, s² 25: se² = 1.6 + 2.08333 = 3.68333, t = 5/√3.68333 = 2.60525;
        // df = se⁴ / (1.6²/9 + 2.08333²/11) = 19.9803; two-sided p = I_{df/(df+t²)}(df/2, 1/2) = 0.0169420.
        var a = new Sample(10, 20, 16);
        var b = new Sample(12, 15, 25);

        var test = Significance.WelchT(a, b, alpha: 0.05);

        Assert.Equal(2.6052505286, test.Statistic, 8);
        Assert.Equal(19.9803265276, Significance.WelchDegreesOfFreedom(a, b), 8);
        Assert.Equal(0.0169419704, test.PValue, 7);
        Assert.True(test.Significant);
        Assert.False(Significance.WelchT(a, b, alpha: 0.01).Significant);
    }

    [Fact]
    public void A_sample_has_the_n_minus_one_variance()
    {
        var sample = Sample.Of([2, 4, 4, 4, 5, 5, 7, 9]);

        Assert.Equal((8L, 5.0), (sample.N, sample.Mean));
        Assert.Equal(32.0 / 7, sample.Variance, 12);
    }

    [Fact]
    public void Nothing_to_compare_is_never_significant()
    {
        Assert.False(Significance.TwoProportionZ(0, 0, 5, 10, 0.05).Significant);
        Assert.False(Significance.TwoProportionZ(0, 100, 0, 100, 0.05).Significant); // nothing varies
        Assert.False(Significance.WelchT(new Sample(1, 3, 0), new Sample(50, 1, 1), 0.05).Significant);
        Assert.False(Significance.WelchT(new Sample(10, 3, 0), new Sample(10, 3, 0), 0.05).Significant);
    }

    [Fact]
    public void The_leader_is_the_variant_significantly_best_on_the_goal_once_every_variant_has_the_minimum_sample()
    {
        var experiment = Experiment("cost", minSamples: 30);
        // B costs about half of A, with some spread: significant. C is as dear as A.
        var a = Variant("A", Spread(0.010, 40));
        var b = Variant("B", Spread(0.005, 40));
        var c = Variant("C", Spread(0.010, 40));

        var report = ExperimentResults.Report(experiment, [a, b, c]);

        Assert.True(report.MinimumReached);
        Assert.Equal("B", report.Leader);
        Assert.Null(report.Variants[0].VsControl);
        Assert.True(report.Variants[1].VsControl!.Cost.Significant);
        Assert.True(report.Variants[1].VsControl!.Cost.Statistic < 0);
        Assert.False(report.Variants[2].VsControl!.Cost.Significant);
        Assert.Equal(0.005m, decimal.Round(report.Variants[1].CostPerCall, 6));
    }

    [Fact]
    public void No_leader_before_the_minimum_sample_or_without_a_significant_difference()
    {
        var few = ExperimentResults.Report(Experiment("cost", minSamples: 100), [Variant("A", Spread(0.010, 40)), Variant("B", Spread(0.005, 40))]);
        var same = ExperimentResults.Report(Experiment("cost", minSamples: 10), [Variant("A", Spread(0.010, 40)), Variant("B", Spread(0.010, 40))]);

        Assert.False(few.MinimumReached);
        Assert.Null(few.Leader);
        Assert.True(same.MinimumReached);
        Assert.Null(same.Leader);
    }

    [Fact]
    public void An_error_goal_compares_error_rates_with_the_z_test()
    {
        var experiment = Experiment("errors", minSamples: 100);
        var a = Variant("A", Spread(0.01, 400), errors: 40);
        var b = Variant("B", Spread(0.01, 400), errors: 8);

        var report = ExperimentResults.Report(experiment, [a, b]);

        Assert.Equal("B", report.Leader);
        Assert.Equal(0.1, report.Variants[0].ErrorRate, 10);
        Assert.True(report.Variants[1].VsControl!.Errors.Significant);
    }

    private static readonly string[] Names = ["A", "B", "C"];

    internal static Experiment Experiment(string goal, int minSamples)
    {
        var e = new Experiment
        {
            Id = Guid.NewGuid(), Name = "t", Model = "m", MinSamples = minSamples, Alpha = 0.05m,
            Goal = Enum.Parse<ExperimentGoal>(goal, ignoreCase: true),
        };
        foreach (var (name, i) in Names.Select((n, i) => (n, i)))
            e.Variants.Add(new ExperimentVariant { Id = Guid.NewGuid(), Name = name, TargetAlias = $"alias-{name}", Percent = 33, Position = i });
        return e;
    }

    /// <summary>n values around a mean, ±20 % in a fixed pattern.</summary>
    private static double[] Spread(double mean, int n) => [.. Enumerable.Range(0, n).Select(i => mean * (0.8 + 0.4 * (i % 5) / 4))];

    private static VariantData Variant(string name, double[] costs, long errors = 0) =>
        new(name, costs, [.. costs.Select((_, i) => 100.0 + i % 7)], [], errors, 0, 0, 0);
}
