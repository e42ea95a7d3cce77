using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>
/// One test's browser context and page on the running app, with the helpers every flow needs: dev sign-in, waiting
/// for the Blazor circuit, MudBlazor selects and screenshots. Console errors and uncaught page errors are collected;
/// <see cref="AssertNoBrowserErrors"/> fails the test on any.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const float Timeout = 15_000;

    private readonly IBrowserContext context;
    private readonly RunningApp app;
    private readonly ITestOutputHelper output;
    private readonly string testName;
    private readonly List<string> errors = [];
    private readonly List<string> console = [];

    private BrowserSession(IBrowserContext context, IPage page, RunningApp app, ITestOutputHelper output, string testName)
    {
        this.context = context;
        this.testName = testName;
        Page = page;
        this.app = app;
        this.output = output;
        page.Console += (_, message) =>
        {
            lock (console) console.Add($"[{message.Type}] {message.Text} ({message.Location})");
            if (message.Type == "error")
                lock (errors) errors.Add($"console error: {message.Text} ({message.Location})");
        };
        page.PageError += (_, error) =>
        {
            lock (errors) errors.Add($"page error: {error}");
        };
    }

    public IPage Page { get; }

    /// <summary>
    /// The one tolerated console error. The app serves no favicon (App.razor links none and there is no
    /// /favicon.ico), so Chromium's automatic request for it logs "Failed to load resource: 404" on every page.
    /// That is an app defect reported to be fixed in src; it is only this exact request that is let through.
    /// </summary>

    public static async Task<BrowserSession> StartAsync(BrowserFixture browser, RunningApp app, ITestOutputHelper output,
        [CallerMemberName] string testName = "")
    {
        var context = await browser.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseUrl.ToString(),
            ViewportSize = new() { Width = 1440, Height = 900 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(Timeout);
        context.SetDefaultNavigationTimeout(Timeout * 2);
        var page = await context.NewPageAsync();
        return new BrowserSession(context, page, app, output, testName);
    }

    /// <summary>Opens a protected page, is sent to the sign-in page, signs in as a demo person and lands back there.</summary>
    public async Task SignInAsAsync(string displayName, string startAt = "/", string? screenshot = null)
    {
        await Page.GotoAsync(startAt);
        await Expect(Page).ToHaveURLAsync(new Regex(@"/sign-in(\?|$)"));
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to ControlPlane" })).ToBeVisibleAsync();
        if (screenshot is not null)
            await ScreenshotAsync(screenshot);
        // The sign-in page is a plain server-rendered form: no circuit to wait for before clicking.
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Sign in as {displayName}", Exact = true }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("^" + Regex.Escape(app.BaseUrl.ToString().TrimEnd('/') + startAt) + "$"));
        await WaitForInteractiveAsync();
        await Expect(Page.GetByTestId("signed-in-as")).ToContainTextAsync(displayName);
    }

    /// <summary>Full page load of a path, then waits for the Blazor circuit.</summary>
    public async Task GoToAsync(string path)
    {
        await Page.GotoAsync(path);
        await WaitForInteractiveAsync();
    }

    public async Task ReloadAsync()
    {
        await Page.ReloadAsync();
        await WaitForInteractiveAsync();
    }

    /// <summary>
    /// Waits until the prerendered page has become interactive: blazor.web.js has started and the circuit's first
    /// render attached event handlers (Blazor stores them on elements under an expando key "_blazorEvents_N").
    /// Every page in the main layout has at least one handler (the sidebar toggle).
    /// </summary>
    public async Task WaitForInteractiveAsync()
    {
        await Page.WaitForFunctionAsync(
            "() => !!window.Blazor && [...document.querySelectorAll('body *')].some(e => Object.keys(e).some(k => k.startsWith('_blazorEvents_')))",
            null, new() { PollingInterval = 100, Timeout = Timeout * 2 });
    }

    /// <summary>
    /// Waits until Blazor has attached an event handler to the element or an ancestor (events bubble to Blazor's
    /// delegated handlers, e.g. a grid row's click), so a click reaches the circuit.
    /// </summary>
    public static async Task WiredAsync(ILocator locator)
    {
        const string wired = "e => { for (; e; e = e.parentElement) if (Object.keys(e).some(k => k.startsWith('_blazorEvents_'))) return true; return false; }";
        var clock = Stopwatch.StartNew();
        while (!await locator.EvaluateAsync<bool>(wired))
        {
            if (clock.ElapsedMilliseconds > Timeout)
                throw new TimeoutException($"Blazor never attached a handler to {locator}.");
            await Task.Delay(50); // polling a DOM property that no event announces
        }
    }

    /// <summary>Clicks an element once Blazor handles its clicks.</summary>
    public static async Task ClickAsync(ILocator locator)
    {
        await Expect(locator).ToBeVisibleAsync();
        await WiredAsync(locator);
        await locator.ClickAsync();
    }

    /// <summary>A full-page screenshot under e2e/ControlPlane.E2E/bin/screenshots (not committed).</summary>
    public async Task ScreenshotAsync(string name)
    {
        var dir = Path.Combine(RunningApp.ArtifactsDir, "screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{name}.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        output.WriteLine($"screenshot: {path}");
    }

    public void AssertNoBrowserErrors()
    {
        lock (errors)
            // The app's own log says what broke a circuit; the browser only learns that it did.
            Assert.True(errors.Count == 0, "The browser reported errors:\n" + string.Join('\n', errors)
                + "\nThe app's errors:\n" + string.Join('\n', app.Output.Split('\n').Where(l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal)).TakeLast(20)));
    }

    public async ValueTask DisposeAsync()
    {
        // Where each test ended up, pass or fail: the first thing to look at when one fails on CI.
        try
        {
            await ScreenshotAsync(Path.Combine("last", testName));
        }
        catch (PlaywrightException e)
        {
            output.WriteLine($"no final screenshot: {e.Message}");
        }
        lock (console)
        {
            foreach (var line in console)
                output.WriteLine($"browser {line}");
        }
        await context.CloseAsync();
    }

    /// <summary>
    /// Asserts the page fits a window this wide: nothing makes the document wider than the viewport (wide tables
    /// scroll inside their card instead).
    /// </summary>
    public async Task AssertFitsWidthAsync(int width, string what)
    {
        var scrollWidth = await Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= width, $"{what} is {scrollWidth} px wide, more than the {width} px window.");
    }

    /// <summary>A MudBlazor snackbar with this text; check it right after its action, as it leaves after a few seconds.</summary>
    public static ILocator Snackbar(IPage page, string text) => page.Locator(".mud-snackbar").Filter(new() { HasText = text });

    /// <summary>The page's background colour as the theme paints it (MudBlazor's palette variable, resolved by the browser).</summary>
    public async Task<string> BackgroundAsync() =>
        await Page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");

    /// <summary>
    /// The input of a MudBlazor text field, numeric field or autocomplete with this test id (MudBlazor puts unknown
    /// attributes on the input; this also finds it when they land on the field's root).
    /// </summary>
    public static ILocator FieldInput(ILocator scope, string testId) =>
        scope.Locator($"input[data-testid='{testId}'], [data-testid='{testId}'] input").First;

    /// <summary>
    /// Picks an item of a MudSelect (the locator is the element with its test id: MudBlazor puts it on the select's
    /// input). A click opens its list in a popover rendered by the layout's MudPopoverProvider, outside the field,
    /// whose items are .mud-list-item; the field then shows the item's text.
    /// </summary>
    public async Task ChooseInMudSelectAsync(ILocator select, string itemText)
    {
        await ClickAsync(select);
        var items = Page.Locator(".mud-popover-open .mud-list-item");
        await ClickAsync(items.Filter(new() { HasTextRegex = new Regex($"^\\s*{Regex.Escape(itemText)}\\s*$") }));
        await Expect(items).ToHaveCountAsync(0);
        if (await select.EvaluateAsync<string>("e => e.tagName") == "INPUT")
            await Expect(select).ToHaveValueAsync(itemText);
        else
            await Expect(select).ToContainTextAsync(itemText);
    }

    /// <summary>Types into a MudAutocomplete's input and picks the item with this text from the list it opens.</summary>
    public async Task ChooseInMudAutocompleteAsync(ILocator input, string typed, string itemText)
    {
        await WiredAsync(input);
        await input.FillAsync(typed);
        var item = Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = itemText });
        await ClickAsync(item);
        await Expect(input).ToHaveValueAsync(itemText);
    }

    /// <summary>
    /// The page as it is now fits a 1280×800 window (wide tables scroll inside their own card). Puts the viewport
    /// back afterwards.
    /// </summary>
    public async Task AssertNoSidewaysScrollAt1280Async()
    {
        var before = Page.ViewportSize;
        await Page.SetViewportSizeAsync(1280, 800);
        await Page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(r))");
        await AssertFitsWidthAsync(1280, Page.Url);
        if (before is not null) await Page.SetViewportSizeAsync(before.Width, before.Height);
    }
}
