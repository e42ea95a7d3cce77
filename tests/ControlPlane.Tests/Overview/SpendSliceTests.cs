using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Overview;

namespace ControlPlane.Tests.Overview;

/// <summary>The breakdown chart's data: buckets of the range, the biggest values, the rest as Other.</summary>
public sealed class SpendSliceTests
{
    private static readonly DateTime Now = new(2026, 11, 15, 13, 25, 0, DateTimeKind.Utc);

    [Fact]
    public void Ranges_end_with_the_current_bucket_and_have_every_bucket()
    {
        var day = RangeBuckets.Of(OverviewRange.Day, Now);
        Assert.Equal((RollupGrain.Hour, new DateTime(2026, 11, 14, 14, 0, 0, DateTimeKind.Utc), 24), (day.Grain, day.From, day.Count));
        Assert.Equal(new DateTime(2026, 11, 15, 13, 0, 0, DateTimeKind.Utc), day.All[^1]);
        var month = RangeBuckets.Of(OverviewRange.Month, Now);
        Assert.Equal((RollupGrain.Day, new DateTime(2026, 10, 17, 0, 0, 0, DateTimeKind.Utc), 30), (month.Grain, month.From, month.Count));
        Assert.Equal(Now.Date.AddDays(1), month.To);
    }

    [Fact]
    public void The_five_biggest_values_are_shown_and_the_rest_is_summed_as_other()
    {
        var week = RangeBuckets.Of(OverviewRange.Week, Now);
        var sums = Enumerable.Range(1, 8)
            .Select(i => new SpendBreakdown.Sum($"model-{i}", week.From.AddDays(i % 7), i, i * 10))
            .Append(new SpendBreakdown.Sum("free", week.From, 0m, 99))
            .ToList();

        var slices = SpendBreakdown.Slice(sums, week);

        Assert.Equal(["model-8", "model-7", "model-6", "model-5", "model-4", SpendBreakdown.Other], slices.Select(s => s.Name));
        var other = slices[^1];
        Assert.Equal(1m + 2m + 3m, other.Total);
        Assert.Equal(60, other.Calls);
        Assert.Equal(7, other.PerBucket.Count);
        Assert.Equal(8m, slices[0].PerBucket[1]); // model-8 spent on the bucket 8 % 7 = 1
        Assert.Equal(36m, slices.Sum(s => s.Total));
    }
}
