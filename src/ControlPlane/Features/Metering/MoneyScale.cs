namespace ControlPlane.Features.Metering;

/// <summary>
/// The one money scale of every database column. Prices are USD per million tokens with at most 6 decimals, so a
/// per-token price of $0.0000001 (0.1 per million) is exact; a cost is tokens × price / 1,000,000, so it carries at most
/// 6 + 6 = 12 decimals, and every amount derived from costs (call cost, ledger amount, wallet spent/leased/limit, lease
/// granted/used) is stored at scale 12. Nothing is rounded on the way to the database: what C# computed is what is stored.
/// </summary>
public static class MoneyScale
{
    /// <summary>Money columns: numeric(28, 12), i.e. up to 10^16 USD to the trillionth of a dollar.</summary>
    public const int Precision = 28, Scale = 12;

    /// <summary>Price columns (USD per million tokens): numeric(18, 6).</summary>
    public const int PricePrecision = 18, PriceScale = 6;
}
