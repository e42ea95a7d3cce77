using ControlPlane.Tests.Infrastructure;

namespace ControlPlane.Tests.Metering;

/// <summary>A bad price in configuration stops the app at start, naming the setting, before any call is priced with it.</summary>
public sealed class PriceConfigurationTests
{
    [Theory]
    [InlineData("Input", "-1", "Gateway:Providers:bad-prices:Prices:m:Input is -1: A price cannot be negative.")]
    [InlineData("CachedInput", "-0.5", "Gateway:Providers:bad-prices:Prices:m:CachedInput is -0.5: A price cannot be negative.")]
    [InlineData("CacheWrite", "0.0000001", "Gateway:Providers:bad-prices:Prices:m:CacheWrite is 0.0000001: A price has at most 6 decimals")]
    public async Task A_negative_or_too_fine_configured_price_fails_at_boot_with_the_settings_name(string field, string value, string message)
    {
        await using var database = TestDatabase.CreateSqlite();
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:Providers:bad-prices:Kind"] = "openai",
            ["Gateway:Providers:bad-prices:BaseUrl"] = "http://127.0.0.1:9/v1",
            ["Gateway:Providers:bad-prices:Models:bad"] = "m",
            ["Gateway:Providers:bad-prices:Prices:m:Input"] = "1",
            ["Gateway:Providers:bad-prices:Prices:m:Output"] = "2",
        };
        settings[$"Gateway:Providers:bad-prices:Prices:m:{field}"] = value;
        await using var app = new AppFactory(database, seedDemoData: false, settings: settings);

        var failure = Assert.ThrowsAny<Exception>(() => app.Services);

        var messages = Flatten(failure).Select(e => e.Message).ToList();
        Assert.Contains(messages, m => m.Contains(message, StringComparison.Ordinal));
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        yield return e;
        var inner = e is AggregateException a ? a.InnerExceptions : e.InnerException is { } i ? [i] : [];
        foreach (var x in inner.SelectMany(Flatten)) yield return x;
    }
}
