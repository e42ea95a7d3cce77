using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>
/// Every page each demo role can reach from the nav, in a 1280×800 window: it opens on its heading, fits the window
/// (no page-wide horizontal scroll) and the browser reports no error.
/// </summary>
[Collection(E2EFixtures.Name)]
public sealed class EveryPageTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Theory]
    [InlineData("Olivia Owner")]
    [InlineData("Adam Admin")]
    [InlineData("Fiona Finance")]
    [InlineData("Leo Lead")]
    [InlineData("Mia Member")]
    [InlineData("Aria Auditor")]
    public async Task Every_page_in_the_nav_opens_on_its_heading_and_fits_1280_pixels(string person)
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await page.SetViewportSizeAsync(1280, 800);
        await s.SignInAsAsync(person);

        var links = page.Locator(".mud-drawer a.mud-nav-link");
        await Expect(links.First).ToBeVisibleAsync();
        var areas = new List<string>();
        foreach (var link in await links.AllAsync())
            areas.Add((await link.InnerTextAsync()).Trim());
        Assert.Contains("Overview", areas);

        foreach (var area in areas)
        {
            await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, area));
            if (area == "Jobs")
            {
                // Hangfire's own dashboard, outside our shell: its title bar, then back to the site.
                await Expect(page.Locator(".navbar-brand")).ToHaveTextAsync("ControlPlane jobs");
                await s.AssertFitsWidthAsync(1280, $"{person}: {area}");
                await page.GetByRole(AriaRole.Link, new() { Name = "Back to site" }).ClickAsync();
                await s.WaitForInteractiveAsync();
                continue;
            }
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = area, Exact = true, Level = 1 })).ToBeVisibleAsync();
            await Expect(page.GetByTestId("breadcrumbs")).ToContainTextAsync(area);
            await s.AssertFitsWidthAsync(1280, $"{person}: {area}");
        }

        s.AssertNoBrowserErrors();
    }
}
