using ControlPlane.Features.Metering;

namespace ControlPlane.Tests.Metering;

/// <summary>The cost engine's arithmetic: each kind of token at its own rate, defaults that never make input free, no negative cost, holds as upper bounds, and costs that fit the money scale.</summary>
public class PriceRateTests
{
    private static readonly DateTime Past = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static PriceRate Rate(decimal input, decimal? cached, decimal output, decimal? cacheWrite = null) =>
        new(Guid.NewGuid(), input, PriceRules.CachedInputOrDefault(input, cached), output, Past, cacheWrite);

    [Fact]
    public void Attempts_added_together_keep_every_kind_of_token_and_their_costs()
    {
        var rate = Rate(input: 3m, cached: 0.3m, output: 15m, cacheWrite: 3.75m);
        var abandoned = Metered.Reported(new TokenUsage(1_000, 0, 0), rate);
        var served = Metered.Reported(new TokenUsage(2_000, 500, 40, CacheWriteInputTokens: 700), rate);

        var total = abandoned.Plus(served);

        Assert.Equal(new TokenUsage(3_000, 500, 40, CacheWriteInputTokens: 700), total.Usage);
        Assert.Equal(rate.CostOf(total.Usage), total.Cost); // the row's tokens explain its cost
        Assert.Equal(abandoned.Cost + served.Cost, total.Cost);
    }

    [Fact]
    public void Cached_input_costs_the_input_price_when_no_cached_price_is_set()
    {
        var rate = Rate(input: 3m, cached: null, output: 15m);

        Assert.Equal(3m, rate.CachedInputPerMillion);
        Assert.Equal(1_000_000 * 3m / 1_000_000m, rate.CostOf(new TokenUsage(1_000_000, 600_000, 0)));
    }

    [Fact]
    public void Cache_writes_cost_one_and_a_quarter_times_input_unless_priced_rounded_up_to_the_price_scale()
    {
        Assert.Equal(3.75m, Rate(3m, 0.3m, 15m).CacheWritePerMillion);
        Assert.Equal(6m, Rate(3m, 0.3m, 15m, cacheWrite: 6m).CacheWritePerMillion);
        // 1.25 × 0.000001 = 0.00000125: rounded up (never down) to 6 decimals, so costs stay within the money scale.
        Assert.Equal(0.000002m, PriceRules.CacheWriteOrDefault(0.000001m, null));
        Assert.Equal(0.000013m, PriceRules.CacheWriteOrDefault(0.00001m, null));
    }

    [Fact]
    public void Uncached_input_cache_reads_cache_writes_and_output_are_each_billed_at_their_own_rate()
    {
        var rate = Rate(input: 3m, cached: 0.30m, output: 15m, cacheWrite: 3.75m);
        var usage = new TokenUsage(InputTokens: 1_130, CachedInputTokens: 1_000, OutputTokens: 17, CacheWriteInputTokens: 100);

        Assert.Equal((30 * 3m + 1_000 * 0.30m + 100 * 3.75m + 17 * 15m) / 1_000_000m, rate.CostOf(usage));
    }

    [Fact]
    public void More_cached_tokens_than_input_tokens_are_clamped_and_never_give_a_negative_cost()
    {
        var rate = Rate(input: 2m, cached: 8m, output: 1m, cacheWrite: 9m);

        // 10 input: reads clamp to 10, writes to what is left (0), no uncached input below zero.
        Assert.Equal(10 * 8m / 1_000_000m, rate.CostOf(new TokenUsage(10, 25, 0, 7)));
        Assert.Equal(0m, rate.CostOf(new TokenUsage(-5, -3, -1, -2)));
    }

    [Fact]
    public void No_mix_of_token_counts_gives_a_negative_cost_or_one_above_the_hold()
    {
        var random = new Random(8_2026);
        for (var i = 0; i < 5_000; i++)
        {
            var rate = Rate(Price(random), random.Next(3) == 0 ? null : Price(random), Price(random), random.Next(3) == 0 ? null : Price(random));
            long input = random.Next(-10, 200_000), output = random.Next(-10, 50_000);
            var usage = new TokenUsage(input, random.Next(-10, 250_000), output, random.Next(-10, 250_000));

            var cost = rate.CostOf(usage);

            Assert.True(cost >= 0m, $"negative cost {cost} for {usage} at {rate}");
            Assert.True(cost <= rate.WorstCaseOf(input, output), $"cost {cost} above the hold {rate.WorstCaseOf(input, output)} for {usage} at {rate}");
            Assert.True(cost.Scale <= MoneyScale.Scale || decimal.Round(cost, MoneyScale.Scale) == cost, $"cost {cost} finer than the money scale");
        }
    }

    [Fact]
    public void The_hold_prices_every_input_token_at_the_dearest_input_rate()
    {
        // Cache writes dearer than input: a call that writes all its input to the cache must still fit its hold.
        var rate = Rate(input: 3m, cached: 0.3m, output: 15m);
        var allWritten = new TokenUsage(1_000, 0, 200, CacheWriteInputTokens: 1_000);

        Assert.Equal((1_000 * 3.75m + 200 * 15m) / 1_000_000m, rate.WorstCaseOf(1_000, 200));
        Assert.Equal(rate.WorstCaseOf(1_000, 200), rate.CostOf(allWritten));
        // A cached price above input (odd, but allowed) is the dearest then.
        Assert.Equal(5m, Rate(input: 1m, cached: 5m, output: 1m, cacheWrite: 2m).HighestInputPerMillion);
    }

    [Fact]
    public void A_tenth_of_a_micro_dollar_per_token_survives_to_the_last_digit()
    {
        var rate = Rate(input: 0.1m, cached: 0.000001m, output: 0.123457m);

        var cost = rate.CostOf(new TokenUsage(1_234_567, 1, 89));

        Assert.Equal(0.1234566m + 0.000000000001m + 0.000010987673m, cost);
        Assert.Equal(0.123467587674m, cost);
    }

    [Theory]
    [InlineData("-0.01", "A price cannot be negative.")]
    [InlineData("0.0000001", "A price has at most 6 decimals (0.000001 USD per million tokens).")]
    [InlineData("100000.5", "A price is at most 100,000 USD per million tokens.")]
    public void A_negative_too_fine_or_too_large_price_is_refused_with_the_reason(string price, string reason) =>
        Assert.Equal(reason, PriceRules.Problem(decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("0")]
    [InlineData("0.000001")]
    [InlineData("0.100000")]
    [InlineData("100000")]
    public void Prices_from_zero_to_the_maximum_at_six_decimals_are_valid(string price) =>
        Assert.Null(PriceRules.Problem(decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void A_price_row_with_a_negative_rate_is_not_a_price_and_its_model_counts_as_unpriced()
    {
        var provider = Guid.NewGuid();
        var good = new Price { Id = Guid.NewGuid(), ProviderId = provider, UpstreamModel = "m", EffectiveFrom = Past, InputPerMillion = 1m, CachedInputPerMillion = 1m, OutputPerMillion = 2m, CreatedBy = "t" };
        var bad = new Price { Id = Guid.NewGuid(), ProviderId = provider, UpstreamModel = "m", EffectiveFrom = Past.AddDays(1), InputPerMillion = -1m, CachedInputPerMillion = 1m, OutputPerMillion = 2m, CreatedBy = "t" };
        var book = new PriceBook([good, bad]);

        Assert.True(book.TryGetRate(provider, "m", Past.AddHours(1), out var before));
        Assert.Equal(good.Id, before.PriceId);
        Assert.False(book.TryGetRate(provider, "m", Past.AddDays(2), out _));
    }

    private static decimal Price(Random random) => random.Next(0, 100_000_000) / 1_000_000m; // 0 … 100 per million, 6 decimals
}
