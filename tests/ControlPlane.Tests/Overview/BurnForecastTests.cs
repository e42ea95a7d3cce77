using ControlPlane.Features.Overview;

namespace ControlPlane.Tests.Overview;

/// <summary>The burn-rate forecast on fixed moments: the rate of the period so far, carried to the ceiling.</summary>
public sealed class BurnForecastTests
{
    private static readonly DateTime PeriodStart = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime PeriodEnd = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Now = new(2026, 11, 10, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_wallet_spending_ten_a_day_with_ninety_left_runs_out_on_the_nineteenth()
    {
        var at = BurnForecast.RunsOutAt(90m, 180m, PeriodStart, PeriodEnd, Now);

        Assert.Equal(new DateTime(2026, 11, 19, 0, 0, 0, DateTimeKind.Utc), at);
        Assert.Equal("at this rate runs out on the 19th", BurnForecast.Describe(at, 90m, 180m, Now));
    }

    [Fact]
    public void A_wallet_that_lasts_past_the_period_end_has_no_date()
    {
        var at = BurnForecast.RunsOutAt(90m, 400m, PeriodStart, PeriodEnd, Now);

        Assert.Null(at);
        Assert.Equal("will not run out this period at this rate", BurnForecast.Describe(at, 90m, 400m, Now));
    }

    [Fact]
    public void A_spent_wallet_has_run_out_and_an_unlimited_or_unspent_one_has_no_forecast()
    {
        Assert.Equal(Now, BurnForecast.RunsOutAt(200m, 180m, PeriodStart, PeriodEnd, Now));
        Assert.Equal("has run out", BurnForecast.Describe(Now, 200m, 180m, Now));
        Assert.Null(BurnForecast.RunsOutAt(90m, null, PeriodStart, PeriodEnd, Now));
        Assert.Null(BurnForecast.RunsOutAt(0m, 180m, PeriodStart, PeriodEnd, Now));
        Assert.Null(BurnForecast.RunsOutAt(90m, 180m, PeriodStart, null, Now));
    }

    [Fact]
    public void Running_out_today_gives_the_time_and_next_month_the_date()
    {
        var late = new DateTime(2026, 11, 10, 12, 0, 0, DateTimeKind.Utc);
        var today = BurnForecast.RunsOutAt(95m, 100m, PeriodStart, PeriodEnd, late); // 95 in 9.5 days: 10 a day, 5 left
        Assert.Equal(new DateTime(2026, 11, 11, 0, 0, 0, DateTimeKind.Utc), today);
        Assert.Equal("at this rate runs out on the 11th", BurnForecast.Describe(today, 95m, 100m, late));
        var weekly = new DateTime(2026, 11, 28, 0, 0, 0, DateTimeKind.Utc);
        var at = BurnForecast.RunsOutAt(20m, 60m, weekly, weekly.AddDays(7), weekly.AddDays(2));
        Assert.Equal(new DateTime(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc), at); // 10 a day, 40 left
        Assert.Equal("at this rate runs out on 4 Dec", BurnForecast.Describe(at, 20m, 60m, weekly.AddDays(2)));
        Assert.Equal("at this rate runs out today at 18:00 UTC", BurnForecast.Describe(late.AddHours(6), 95m, 100m, late));
    }

    [Theory]
    [InlineData(1, "1st")]
    [InlineData(2, "2nd")]
    [InlineData(3, "3rd")]
    [InlineData(11, "11th")]
    [InlineData(12, "12th")]
    [InlineData(13, "13th")]
    [InlineData(19, "19th")]
    [InlineData(22, "22nd")]
    [InlineData(31, "31st")]
    public void Days_take_their_English_ordinal(int day, string expected) => Assert.Equal(expected, BurnForecast.Ordinal(day));

    [Fact]
    public void A_busy_first_hour_is_spread_over_a_seventh_of_the_period()
    {
        // 10 spent in the first hour of a 30-day month: read over 30/7 days, not one hour, it lasts past the month.
        Assert.Null(BurnForecast.RunsOutAt(10m, 100m, PeriodStart, PeriodEnd, PeriodStart.AddHours(1)));
        Assert.Equal(TimeSpan.FromDays(30) / 7, BurnForecast.RateWindow(PeriodStart, PeriodEnd, PeriodStart.AddHours(1)));
        Assert.Equal(TimeSpan.FromDays(9), BurnForecast.RateWindow(PeriodStart, PeriodEnd, Now));
    }
}
