using ControlPlane.Features.CallStats;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Experiments;

/// <summary>One variant's calls as measured: what the tests need (each cost and latency, error and feedback counts).</summary>
public sealed record VariantData(string Name, IReadOnlyList<double> Costs, IReadOnlyList<double> Latencies, IReadOnlyList<double> FirstTokens, long Errors, long Rated, long Positive, double FeedbackSum)
{
    public long Calls => Costs.Count;
    public double ErrorRate => Calls == 0 ? 0 : (double)Errors / Calls;
    public double? PositiveRate => Rated == 0 ? null : (double)Positive / Rated;

    /// <summary>The goal's measure, smaller is better (feedback negated); null without data.</summary>
    public double? Badness(ExperimentGoal goal) => goal switch
    {
        ExperimentGoal.Cost => Calls == 0 ? null : Costs.Average(),
        ExperimentGoal.Latency => Calls == 0 ? null : Latencies.Average(),
        ExperimentGoal.Errors => Calls == 0 ? null : ErrorRate,
        _ => PositiveRate is { } rate ? -rate : null,
    };
}

/// <summary>A variant against the control (the first variant): each test's z or t, p-value and verdict.</summary>
public sealed record Comparison(TestResult Errors, TestResult PositiveFeedback, TestResult Cost, TestResult Latency);

/// <summary>One row of an experiment's live table.</summary>
public sealed record VariantResult(string Name, string TargetAlias, int Percent, long Calls, decimal CostPerCall, Spread Latency, double? FirstTokenP50,
    double ErrorRate, double? FeedbackMean, long Rated, Comparison? VsControl);

/// <summary>The live table and, when the goal's test says so with the minimum sample reached, the variant that wins.</summary>
public sealed record ExperimentReport(Guid ExperimentId, IReadOnlyList<VariantResult> Variants, bool MinimumReached, string? Leader);

/// <summary>Reads an experiment's calls and feedback and runs the tests.</summary>
public static class ExperimentResults
{
    /// <summary>A call counts as an error when the gateway or provider failed it (5xx), not when the caller was refused.</summary>
    public static bool IsError(int status) => status >= 500;

    public static async Task<ExperimentReport> ReportAsync(ControlPlaneDb db, Experiment experiment, CancellationToken ct = default)
    {
        var calls = await db.Calls.AsNoTracking().Where(c => c.ExperimentId == experiment.Id)
            .Select(c => new { c.ExperimentVariant, c.Status, c.Cost, c.LatencyMs, c.TimeToFirstTokenMs }).ToListAsync(ct);
        var ratings = await (from c in db.Calls.AsNoTracking().Where(c => c.ExperimentId == experiment.Id)
                             join f in db.CallFeedback.AsNoTracking() on c.Id equals f.CallId
                             select new { c.ExperimentVariant, f.Score }).ToListAsync(ct);
        var byVariant = calls.ToLookup(c => c.ExperimentVariant);
        var ratingsBy = ratings.ToLookup(r => r.ExperimentVariant);
        var data = experiment.Variants.OrderBy(v => v.Position).Select(v =>
        {
            var mine = byVariant[v.Name].ToList();
            var rated = ratingsBy[v.Name].Select(r => CallFeedback.Normalised(r.Score)).ToList();
            return new VariantData(v.Name, [.. mine.Select(c => (double)c.Cost)], [.. mine.Select(c => (double)c.LatencyMs)],
                [.. mine.Where(c => c.TimeToFirstTokenMs is not null).Select(c => (double)c.TimeToFirstTokenMs!.Value)],
                mine.Count(c => IsError(c.Status)), rated.Count, rated.Count(s => s > 0.5m), (double)rated.Sum());
        }).ToList();
        return Report(experiment, data);
    }

    /// <summary>The table and leader from measured data (pure: the tests feed it known numbers).</summary>
    public static ExperimentReport Report(Experiment experiment, IReadOnlyList<VariantData> data)
    {
        var alpha = (double)experiment.Alpha;
        var variants = experiment.Variants.OrderBy(v => v.Position).ToList();
        var rows = new List<VariantResult>(data.Count);
        for (var i = 0; i < data.Count; i++)
        {
            var d = data[i];
            var latencies = d.Latencies.Order().ToList();
            var firstTokens = d.FirstTokens.Order().ToList();
            rows.Add(new VariantResult(d.Name, variants[i].TargetAlias, variants[i].Percent, d.Calls,
                d.Calls == 0 ? 0 : (decimal)d.Costs.Sum() / d.Calls, Spread.OfSorted(latencies),
                firstTokens.Count == 0 ? null : Percentiles.Cont(firstTokens, 0.5), d.ErrorRate,
                d.Rated == 0 ? null : d.FeedbackSum / d.Rated, d.Rated, i == 0 ? null : Compare(d, data[0], alpha)));
        }
        var minimum = data.Count > 1 && data.All(d => d.Calls >= experiment.MinSamples);
        return new ExperimentReport(experiment.Id, rows, minimum, minimum ? Leader(experiment.Goal, data, alpha) : null);
    }

    public static Comparison Compare(VariantData variant, VariantData control, double alpha) => new(
        Significance.TwoProportionZ(variant.Errors, variant.Calls, control.Errors, control.Calls, alpha),
        Significance.TwoProportionZ(variant.Positive, variant.Rated, control.Positive, control.Rated, alpha),
        Significance.WelchT(Sample.Of([.. variant.Costs]), Sample.Of([.. control.Costs]), alpha),
        Significance.WelchT(Sample.Of([.. variant.Latencies]), Sample.Of([.. control.Latencies]), alpha));

    /// <summary>The variant best on the goal when it is significantly better than every other variant; else null.</summary>
    public static string? Leader(ExperimentGoal goal, IReadOnlyList<VariantData> data, double alpha)
    {
        var best = data.Where(d => d.Badness(goal) is not null).MinBy(d => d.Badness(goal)!.Value);
        if (best is null) return null;
        foreach (var other in data.Where(d => !ReferenceEquals(d, best)))
        {
            var test = goal switch
            {
                ExperimentGoal.Cost => Significance.WelchT(Sample.Of([.. best.Costs]), Sample.Of([.. other.Costs]), alpha),
                ExperimentGoal.Latency => Significance.WelchT(Sample.Of([.. best.Latencies]), Sample.Of([.. other.Latencies]), alpha),
                ExperimentGoal.Errors => Significance.TwoProportionZ(best.Errors, best.Calls, other.Errors, other.Calls, alpha),
                _ => Significance.TwoProportionZ(best.Positive, best.Rated, other.Positive, other.Rated, alpha),
            };
            if (!test.Significant) return null;
        }
        return best.Name;
    }
}
