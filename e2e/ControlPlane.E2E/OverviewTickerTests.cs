using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>
/// The Overview's live ticker in Chromium: a TeamLead makes a key, keeps the Overview open, and watches its numbers
/// change as calls reach the gateway (refused ones: the e2e app has no upstream to serve them, and a refusal is a call
/// of the key's team all the same), with no reload.
/// </summary>
[Collection(E2EFixtures.Name)]
public sealed class OverviewTickerTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task A_team_lead_watches_the_ticker_move_as_calls_reach_the_gateway()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await page.SetViewportSizeAsync(1280, 800);
        await s.SignInAsAsync("Leo Lead", "/keys");

        // A key of Search, under Platform which Leo leads, shown once.
        await BrowserSession.ClickAsync(page.GetByTestId("new-key-button"));
        var form = page.GetByRole(AriaRole.Dialog).Filter(new() { Has = page.GetByTestId("create-key") });
        await s.ChooseInMudAutocompleteAsync(BrowserSession.FieldInput(form, "key-team"), "Search", "Engineering / Platform / Search");
        await BrowserSession.FieldInput(form, "key-name").FillAsync($"ticker-{Guid.NewGuid():N}"[..20]);
        await BrowserSession.ClickAsync(page.GetByTestId("create-key"));
        var secretBox = page.GetByTestId("new-key-secret");
        await Expect(secretBox).ToHaveTextAsync(new Regex("^cp-live-[A-Za-z0-9]{40}$"));
        var secret = (await secretBox.InnerTextAsync()).Trim();
        await BrowserSession.ClickAsync(page.GetByTestId("key-done"));

        await s.GoToAsync("/");
        var calls = page.GetByTestId("ticker-calls");
        await Expect(calls).ToContainTextAsync(new Regex(@"\d+ today"));
        var before = CallsToday(await calls.InnerTextAsync());
        await s.ScreenshotAsync("overview-ticker-before");

        using var gateway = new HttpClient { BaseAddress = app.BaseUrl };
        gateway.DefaultRequestHeaders.Authorization = new("Bearer", secret);

        // A model that does not exist: refused with 404, written at once (the first refusal of its kind this minute).
        using (var unknown = await gateway.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json")))
            Assert.Equal(404, (int)unknown.StatusCode);
        await Expect(calls).ToContainTextAsync($"{before + 1} today");

        // A body that is not a request: another kind of refusal, another call on the ticker.
        using (var bad = await gateway.PostAsync("/v1/chat/completions", new StringContent("""{"messages":"nope"}""", Encoding.UTF8, "application/json")))
            Assert.Equal(400, (int)bad.StatusCode);
        await Expect(calls).ToContainTextAsync($"{before + 2} today");
        await Expect(page.GetByTestId("ticker-errors").GetByTestId("ticker-value")).Not.ToHaveTextAsync("0");
        await s.ScreenshotAsync("overview-ticker-after");

        // Moved in place: still the first document of this tab.
        Assert.Equal(1, await page.EvaluateAsync<int>("() => performance.getEntriesByType('navigation').length"));
        await s.AssertFitsWidthAsync(1280, "The Overview with its live panels");
        s.AssertNoBrowserErrors();
    }

    private static long CallsToday(string text) => long.Parse(Regex.Match(text, @"(\d+) today").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
}
