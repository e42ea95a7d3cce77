using ControlPlane.Features.Metering;

namespace ControlPlane.Tests.Components;

public sealed class NewPriceFormTests
{
    [Fact]
    public async Task The_price_form_offers_cached_and_cache_write_prices_that_default_from_the_input_price()
    {
        var html = await StaticRenderer.RenderAsync<NewPriceForm>(parameters: new()
        {
            [nameof(NewPriceForm.OnAdd)] = (Func<PriceForm, Task<string?>>)(_ => Task.FromResult<string?>(null)),
        });

        Assert.Contains("data-testid=\"price-cached\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"price-cache-write\"", html, StringComparison.Ordinal);
        Assert.Contains("Empty: the input price.", html, StringComparison.Ordinal);
        Assert.Contains("Empty: 1.25 × input", html, StringComparison.Ordinal);
    }
}
