using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>The shell around every page: the app's own stylesheet, breadcrumbs and the per-person light/dark theme.</summary>
[Collection(E2EFixtures.Name)]
public sealed class ShellTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    // ControlPlaneTheme's backgrounds as the browser resolves them: light #f5f6fa, dark #13141c.
    private const string Light = "rgb(245, 246, 250)";
    private const string Dark = "rgb(19, 20, 28)";

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
        // MudBlazor's own stylesheet and the theme's variables too: the page takes the light palette.
        await Expect(page.Locator("head link[rel=stylesheet][href*='MudBlazor']")).ToHaveCountAsync(1);
        Assert.Equal(Light, await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Dark_theme_is_remembered_for_the_person_across_reloads_and_browsers_and_only_for_them()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Rita Research");
        Assert.Equal(Light, await s.BackgroundAsync());

        await BrowserSession.ClickAsync(page.GetByTestId("theme-toggle"));
        await page.WaitForFunctionAsync($"() => getComputedStyle(document.body).backgroundColor === '{Dark}'");
        await Expect(page.GetByTestId("theme-toggle")).ToHaveAttributeAsync("aria-label", "Use the light theme");
        await s.ScreenshotAsync("overview-dark");

        // After a full page load the server renders it dark: the HTML itself carries the dark palette (no light flash).
        await s.ReloadAsync();
        Assert.Equal(Dark, await s.BackgroundAsync());
        Assert.True(IsDark(PaletteBackground(await (await page.APIRequest.GetAsync("/keys")).TextAsync())));
        await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, "Keys"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Keys", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(Dark, await s.BackgroundAsync());

        // Another browser (a new context: no cookie, no storage) is dark as soon as the same person signs in.
        await using (var elsewhere = await BrowserSession.StartAsync(browser, app, output))
        {
            await elsewhere.SignInAsAsync("Rita Research");
            Assert.Equal(Dark, await elsewhere.BackgroundAsync());
            elsewhere.AssertNoBrowserErrors();
        }

        // Someone else stays light.
        await using (var other = await BrowserSession.StartAsync(browser, app, output))
        {
            await other.SignInAsAsync("Leo Lead");
            Assert.Equal(Light, await other.BackgroundAsync());
            Assert.False(IsDark(PaletteBackground(await (await other.Page.APIRequest.GetAsync("/")).TextAsync())));
            other.AssertNoBrowserErrors();
        }

        // Back to light, remembered too (and left as the other tests expect it).
        await BrowserSession.ClickAsync(page.GetByTestId("theme-toggle"));
        await page.WaitForFunctionAsync($"() => getComputedStyle(document.body).backgroundColor === '{Light}'");
        await s.ReloadAsync();
        Assert.Equal(Light, await s.BackgroundAsync());

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task A_gateway_page_shows_its_group_in_the_breadcrumbs_and_the_drawer_toggles()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Adam Admin", "/providers");

        await Expect(page.GetByTestId("breadcrumbs")).ToContainTextAsync("Gateway");
        await Expect(page.GetByTestId("breadcrumbs").Locator("li.mud-breadcrumb-item")).ToHaveTextAsync(["Gateway", "Providers"]);
        await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, "Keys"));
        await Expect(page.GetByTestId("breadcrumbs").Locator("li.mud-breadcrumb-item")).ToHaveTextAsync(["Keys"]);

        await BrowserSession.ClickAsync(page.GetByTestId("menu-toggle"));
        await Expect(AdminFlowTests.Nav(page, "Keys")).Not.ToBeInViewportAsync();
        await BrowserSession.ClickAsync(page.GetByTestId("menu-toggle"));
        await Expect(AdminFlowTests.Nav(page, "Keys")).ToBeInViewportAsync();

        s.AssertNoBrowserErrors();
    }

    /// <summary>The background that MudThemeProvider wrote into the server-rendered HTML (before any script ran).</summary>
    private static string PaletteBackground(string html)
    {
        var match = Regex.Match(html, @"--mud-palette-background:\s*([^;]+);");
        Assert.True(match.Success, "The server-rendered page carries no theme palette.");
        return match.Groups[1].Value.Replace(" ", "", StringComparison.Ordinal);
    }

    private static bool IsDark(string color) =>
        color.Contains("19,20,28", StringComparison.Ordinal) || color.Contains("13141c", StringComparison.OrdinalIgnoreCase);
}
