using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>The shell around every page: the app's own stylesheet and the light/dark toggle.</summary>
[Collection(E2EFixtures.Name)]
public sealed class ShellTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task The_app_stylesheet_is_served_and_applied()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await page.GotoAsync("/sign-in");

        var href = await page.Locator("head link[rel=stylesheet][href*='assets/css/app']").GetAttributeAsync("href");
        Assert.NotNull(href);
        var css = await page.APIRequest.GetAsync(href);
        Assert.Equal(200, css.Status);
        Assert.StartsWith("text/css", css.Headers.GetValueOrDefault("content-type") ?? "", StringComparison.Ordinal);
        Assert.Contains(".cp-signin", await css.TextAsync(), StringComparison.Ordinal);

        // Applied: the sign-in card is narrow (at most 560 px) and centred in the 1440 px viewport.
        var card = await page.Locator(".cp-signin").BoundingBoxAsync();
        Assert.NotNull(card);
        Assert.InRange(card.Width, 100, 561);
        Assert.InRange(card.X + (card.Width / 2), 700, 740);

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Dark_theme_toggle_persists_across_reload()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Olivia Owner");
        var darkTheme = page.Locator("head link[rel=stylesheet][href*='material-dark']");
        await Expect(darkTheme).ToHaveCountAsync(0);

        await BrowserSession.ClickAsync(page.Locator(".rz-header button[title='Light or dark']"));
        await Expect(darkTheme).ToHaveCountAsync(1);
        // Radzen's cookie theme service writes the cookie from the browser.
        await page.WaitForFunctionAsync("() => document.cookie.split('; ').some(c => c.startsWith('cp-theme=') && c.includes('dark'))");
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "cp-theme");
        Assert.Contains("dark", cookie.Value, StringComparison.Ordinal);
        await s.ScreenshotAsync("overview-dark");

        // After a full page load the server renders dark from the cookie, and the circuit keeps it dark.
        await s.ReloadAsync();
        await Expect(darkTheme).ToHaveCountAsync(1);
        await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, "Keys"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Keys", Exact = true })).ToBeVisibleAsync();
        await Expect(darkTheme).ToHaveCountAsync(1);
        await Expect(page.Locator("head link[rel=stylesheet][href*='/material-base']")).ToHaveCountAsync(0);

        s.AssertNoBrowserErrors();
    }
}
