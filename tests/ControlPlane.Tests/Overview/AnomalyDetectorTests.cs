using ControlPlane.Features.Overview;

namespace ControlPlane.Tests.Overview;

/// <summary>The rolling z-score over hand-made hourly series (no clock involved: hours count from a fixed start).</summary>
public sealed class AnomalyDetectorTests
{
    private static readonly DateTime Start = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>A working-hours rhythm: 10 calls and $0.20 an hour from 08:00 to 18:00, nothing at night.</summary>
    private static List<HourSums> Rhythm(int hours) =>
        [.. Enumerable.Range(0, hours).Select(h => h % 24 is >= 8 and < 18 ? new HourSums(0.20m, 10) : new HourSums(0m, 0))];

    [Fact]
    public void A_burst_far_above_the_usual_hour_is_flagged_with_its_reason()
    {
        var hours = Rhythm(24 * 8);
        hours[^3] = new HourSums(6m, 150);

        var found = Assert.Single(AnomalyDetector.Find("key notebooks", "key", Start, hours, 24, AnomalyRules.Default));

        Assert.Equal(Start.AddHours(hours.Count - 3), found.Hour);
        Assert.True(found.Z > 4);
        Assert.Contains("spent $6.00", found.Reason, StringComparison.Ordinal);
        Assert.Contains("made 150 calls", found.Reason, StringComparison.Ordinal);
        Assert.Contains("against the previous 7 days", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_usual_daily_rhythm_is_not_an_anomaly()
    {
        Assert.Empty(AnomalyDetector.Find("team Sales", "team", Start, Rhythm(24 * 8), 24, AnomalyRules.Default));
    }

    [Fact]
    public void A_subject_with_too_little_history_is_not_judged()
    {
        var hours = Enumerable.Repeat(new HourSums(0m, 0), 24 * 7).Concat(Rhythm(30)).ToList();
        hours[^1] = new HourSums(6m, 150);

        Assert.Empty(AnomalyDetector.Find("key new", "key", Start, hours, 24, AnomalyRules.Default));
    }

    [Fact]
    public void A_small_rise_on_a_flat_series_is_not_flagged_but_a_large_one_is()
    {
        var hours = Enumerable.Repeat(new HourSums(0.01m, 1), 24 * 8).ToList();
        hours[^2] = new HourSums(0.05m, 5);   // five times the usual, but trivially small
        Assert.Empty(AnomalyDetector.Find("key flat", "key", Start, hours, 24, AnomalyRules.Default));

        hours[^2] = new HourSums(0.05m, 40);
        var found = Assert.Single(AnomalyDetector.Find("key flat", "key", Start, hours, 24, AnomalyRules.Default));
        Assert.Contains("made 40 calls", found.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("spent", found.Reason, StringComparison.Ordinal);
    }
}
