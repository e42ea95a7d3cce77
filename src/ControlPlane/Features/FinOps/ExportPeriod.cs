namespace ControlPlane.Features.FinOps;

/// <summary>The whole UTC days a scheduled export covers, and whether its run day has come.</summary>
public readonly record struct ExportPeriod(DateOnly From, DateOnly To)
{
    /// <summary>
    /// The period the schedule's latest run day (on or before <paramref name="today"/>) covers: the month before it
    /// (monthly on day N), or the Monday-to-Sunday week before it (weekly on ISO weekday N); null before the first run
    /// day of this month or week.
    /// </summary>
    public static ExportPeriod? Due(string cadence, int day, DateOnly today)
    {
        if (cadence == ExportCadences.Weekly)
        {
            var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
            return today < monday.AddDays(day - 1) ? null : new ExportPeriod(monday.AddDays(-7), monday.AddDays(-1));
        }
        var first = new DateOnly(today.Year, today.Month, 1);
        return today.Day < day ? null : new ExportPeriod(first.AddMonths(-1), first.AddDays(-1));
    }

    /// <summary>The last complete period, for "run now" (whatever the run day).</summary>
    public static ExportPeriod Last(string cadence, DateOnly today) => Due(cadence, 1, today)!.Value;
}
