using System.Globalization;

namespace ControlPlane.Features.Metering;

/// <summary>
/// What a price may be, and the defaults of the prices an admin may leave out. One place, used by the configuration's
/// validation, the price book service and the dashboard form, so the three never disagree.
/// </summary>
public static class PriceRules
{
    public const decimal MaxPerMillion = 100_000m;

    /// <summary>Anthropic documents 5-minute cache writes at 1.25 × the input price (1-hour writes cost 2 ×: set it then).</summary>
    public const decimal CacheWriteFactor = 1.25m;

    /// <summary>Why <paramref name="perMillion"/> is not a valid price, or null when it is.</summary>
    public static string? Problem(decimal perMillion) =>
        perMillion < 0 ? "A price cannot be negative."
        : perMillion > MaxPerMillion ? $"A price is at most {MaxPerMillion.ToString("N0", CultureInfo.InvariantCulture)} USD per million tokens."
        : decimal.Round(perMillion, MoneyScale.PriceScale) != perMillion ? $"A price has at most {MoneyScale.PriceScale} decimals (0.000001 USD per million tokens)."
        : null;

    /// <summary>Cached (read) input costs what input costs unless its own price is set: never free by omission.</summary>
    public static decimal CachedInputOrDefault(decimal input, decimal? cached) => cached ?? input;

    /// <summary>
    /// A cache write costs 1.25 × input unless its own price is set, rounded up to the price scale (never down): the
    /// default stays exact at scale 6 so costs stay within the money scale, and errs by less than $0.000001 per million.
    /// </summary>
    public static decimal CacheWriteOrDefault(decimal input, decimal? cacheWrite) =>
        cacheWrite ?? decimal.Round(input * CacheWriteFactor, MoneyScale.PriceScale, MidpointRounding.ToPositiveInfinity);
}
