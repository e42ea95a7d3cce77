namespace ControlPlane.Components.Charts;

/// <summary>How <see cref="ApexChart"/> draws its series over time.</summary>
public enum ChartKind
{
    Line,
    Area,
    Bar,
}

/// <summary>One value at one moment (UTC); a day's bucket is given by its first instant.</summary>
public readonly record struct ChartPoint(DateTime At, decimal Value);

/// <summary>A named series of points in time order; money values are in <see cref="ApexChart.Currency"/>.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points);

/// <summary>
/// What the chart script receives (camel-cased by the JS interop serializer): the chart's settings and its series as
/// [epoch milliseconds, value] pairs. Settings and series are compared apart, so that new data alone is an
/// <c>updateSeries</c> and the chart's svg stays in place.
/// </summary>
internal sealed record ChartSpec(
    string Kind, int Height, bool Stacked, bool Dark, IReadOnlyList<string> Colors, string ForeColor, string GridColor,
    decimal? Limit, string LimitLabel, string LimitColor, string TimeFormat, string? AxisTimeFormat, string Currency, string Locale, string NoDataText, bool Animate)
{
    public IReadOnlyList<SeriesSpec> Series { get; init; } = [];
}

internal sealed record SeriesSpec(string Name, IReadOnlyList<decimal[]> Data)
{
    public static SeriesSpec Of(ChartSeries series) =>
        new(series.Name, [.. series.Points.Select(p => new[] { (decimal)EpochMilliseconds(p.At), p.Value })]);

    private static long EpochMilliseconds(DateTime at) =>
        (long)(DateTime.SpecifyKind(at, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalMilliseconds;
}
