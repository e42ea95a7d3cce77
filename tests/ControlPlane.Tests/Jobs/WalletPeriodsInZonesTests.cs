using ControlPlane.Features.Wallets;

namespace ControlPlane.Tests.Jobs;

/// <summary>Periods start at midnight in the organisation's time zone, whatever daylight saving does to the day.</summary>
public sealed class WalletPeriodsInZonesTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly TimeZoneInfo Kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");

    private static DateTime Utc(int y, int m, int d, int h = 0, int min = 0) => new(y, m, d, h, min, 0, DateTimeKind.Utc);

    [Fact]
    public void A_day_in_Kolkata_starts_at_its_midnight_which_is_half_past_six_the_evening_before_in_UTC()
    {
        Assert.Equal(Utc(2026, 12, 1, 18, 30), WalletPeriods.StartOf(WalletPeriods.Daily, Utc(2026, 12, 1, 20), Kolkata));
        Assert.Equal(Utc(2026, 11, 30, 18, 30), WalletPeriods.StartOf(WalletPeriods.Daily, Utc(2026, 12, 1, 18, 29), Kolkata));
        Assert.Equal(Utc(2026, 11, 30, 18, 30), WalletPeriods.StartOf(WalletPeriods.Monthly, Utc(2026, 12, 15), Kolkata));
        Assert.Equal(Utc(2026, 12, 31, 18, 30), WalletPeriods.EndOf(WalletPeriods.Monthly, Utc(2026, 11, 30, 18, 30), Kolkata));
    }

    [Fact]
    public void A_month_in_New_York_that_leaves_daylight_saving_starts_at_four_and_ends_at_five_UTC()
    {
        // 1 November 2026 00:00 is still EDT (UTC-4); 1 December 00:00 is EST (UTC-5).
        var start = WalletPeriods.StartOf(WalletPeriods.Monthly, Utc(2026, 11, 20), NewYork);
        Assert.Equal(Utc(2026, 11, 1, 4), start);
        Assert.Equal(Utc(2026, 12, 1, 5), WalletPeriods.EndOf(WalletPeriods.Monthly, start, NewYork));
    }

    [Fact]
    public void The_day_daylight_saving_starts_in_New_York_lasts_twenty_three_hours()
    {
        var start = WalletPeriods.StartOf(WalletPeriods.Daily, Utc(2026, 3, 8, 12), NewYork);
        Assert.Equal(Utc(2026, 3, 8, 5), start);
        Assert.Equal(Utc(2026, 3, 9, 4), WalletPeriods.EndOf(WalletPeriods.Daily, start, NewYork));
    }

    [Fact]
    public void A_week_starts_on_the_local_Monday()
    {
        // Sunday 6 December 2026 23:00 in New York is already Monday in UTC: the week is still the one of 30 November.
        Assert.Equal(Utc(2026, 11, 30, 5), WalletPeriods.StartOf(WalletPeriods.Weekly, Utc(2026, 12, 7, 4), NewYork));
        Assert.Equal(Utc(2026, 12, 7, 5), WalletPeriods.StartOf(WalletPeriods.Weekly, Utc(2026, 12, 7, 5), NewYork));
    }

    [Fact]
    public void In_UTC_the_periods_are_the_calendar_ones_as_before()
    {
        Assert.Equal(Utc(2026, 12, 1), WalletPeriods.StartOf(WalletPeriods.Monthly, Utc(2026, 12, 2, 13)));
        Assert.Equal(Utc(2027, 1, 1), WalletPeriods.EndOf(WalletPeriods.Monthly, Utc(2026, 12, 1)));
        Assert.Null(WalletPeriods.EndOf(WalletPeriods.None, Utc(2026, 12, 1), NewYork));
    }
}
