using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>The gateway's admin pages in Chromium: providers, models, prices and the call log, each as the roles that use them.</summary>
[Collection(E2EFixtures.Name)]
public sealed class GatewayAdminTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task Admin_adds_a_provider_tests_it_routes_an_alias_to_it_and_prices_it()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        var provider = $"e2e-{Guid.NewGuid():N}"[..12];
        var alias = $"alias-{Guid.NewGuid():N}"[..14];
        const string upstream = "e2e-model-1";
        const string secret = "sk-e2e-do-not-show-9Qa7x9Qa";

        await s.SignInAsAsync("Adam Admin", "/providers");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Providers", Exact = true })).ToBeVisibleAsync();
        await Expect(Row(page, "providers-grid", "anthropic")).ToBeVisibleAsync();
        await s.ScreenshotAsync("providers");

        // A new provider where nothing listens (port 9, discard), with a key that must never come back.
        await BrowserSession.ClickAsync(page.GetByTestId("new-provider"));
        await page.GetByTestId("provider-name").FillAsync(provider);
        await Expect(page.GetByTestId("provider-kind-help")).ToContainTextAsync("OpenAI-compatible");
        await Expect(page.GetByTestId("provider-api-version")).ToHaveCountAsync(0);
        await s.ChooseInMudSelectAsync(page.GetByTestId("provider-kind"), "azure-openai");
        await Expect(page.GetByTestId("provider-api-version")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("provider-url")).ToHaveAttributeAsync("placeholder", "https://<resource>.openai.azure.com");
        await s.ChooseInMudSelectAsync(page.GetByTestId("provider-kind"), "openai");
        await Expect(page.GetByTestId("provider-api-version")).ToHaveCountAsync(0);
        await page.GetByTestId("provider-url").FillAsync("http://127.0.0.1:9");
        await page.GetByTestId("provider-key").FillAsync(secret);
        await Expect(page.GetByTestId("provider-key")).ToHaveAttributeAsync("type", "password");
        await s.ScreenshotAsync("providers-new");
        await BrowserSession.ClickAsync(page.GetByTestId("save-provider"));

        var row = Row(page, "providers-grid", provider);
        await Expect(row).ToBeVisibleAsync();
        await Expect(page.GetByTestId("provider-editor")).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(page, $"Provider {provider} added.")).ToBeVisibleAsync();
        await Expect(row.GetByTestId("provider-key-hint")).ToHaveTextAsync("…x9Qa");
        await Expect(row.GetByTestId("provider-status")).ToHaveTextAsync("enabled");
        await Expect(row).ToContainTextAsync("http://127.0.0.1:9");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);

        // Test connection: busy while it runs, then an error in words, not a crash.
        await BrowserSession.ClickAsync(row.GetByTestId("test-connection"));
        var dialog = page.Locator(".mud-dialog");
        await Expect(BrowserSession.Snackbar(page, "Check its base URL, key and network.")).ToBeVisibleAsync();
        await Expect(dialog.GetByTestId("connection-result")).ToBeVisibleAsync();
        await Expect(dialog.GetByTestId("connection-reachable")).ToHaveTextAsync("not reachable");
        await Expect(dialog.GetByTestId("connection-message")).ToContainTextAsync("Could not connect");
        await Expect(dialog.GetByTestId("connection-status")).ToHaveTextAsync("no HTTP answer");
        await Expect(dialog.GetByTestId("connection-ms")).ToHaveTextAsync(new Regex(@"^\d+ ms$"));
        await s.ScreenshotAsync("providers-test-connection");
        await BrowserSession.ClickAsync(dialog.GetByTestId("connection-close"));
        await Expect(dialog).ToHaveCountAsync(0);

        // The field rules show beside the field, in the service's words.
        await BrowserSession.ClickAsync(page.GetByTestId("new-provider"));
        await page.GetByTestId("provider-url").FillAsync("ftp://files.example.com");
        await BrowserSession.ClickAsync(page.GetByTestId("save-provider"));
        await Expect(page.GetByTestId("provider-editor").Locator(".mud-input-error").Filter(new() { HasText = "absolute http(s) URL" }).First).ToBeVisibleAsync();
        await BrowserSession.ClickAsync(page.GetByTestId("cancel-provider"));
        await Expect(page.GetByTestId("provider-editor")).ToHaveCountAsync(0);

        // Editing keeps the stored key when the box is left blank, and says so.
        await BrowserSession.ClickAsync(row.GetByTestId("edit-provider"));
        await Expect(page.GetByTestId("provider-key-help")).ToContainTextAsync("A blank key keeps the stored one (…x9Qa)");
        await Expect(page.GetByTestId("provider-name")).ToHaveValueAsync(provider);
        await Expect(page.GetByTestId("provider-key")).ToHaveValueAsync("");
        await BrowserSession.ClickAsync(page.GetByTestId("save-provider"));
        await Expect(page.GetByTestId("provider-editor")).ToHaveCountAsync(0);
        await Expect(row.GetByTestId("provider-key-hint")).ToHaveTextAsync("…x9Qa");

        // Models: an alias served by the new provider, with a fallback to openai, then the order swapped.
        await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, "Models"));
        await Expect(page).ToHaveURLAsync(new Regex("/models$"));
        await Expect(Row(page, "models-grid", "gpt-4o-mini")).ToContainTextAsync("openai/gpt-4o-mini → azure-eu/gpt-4o-mini");
        await BrowserSession.ClickAsync(page.GetByTestId("new-model"));
        await page.GetByTestId("model-alias").FillAsync(alias);
        var targets = page.GetByTestId("target-row");
        await s.ChooseInMudSelectAsync(targets.Nth(0).GetByTestId("target-provider"), $"{provider} (openai)");
        await targets.Nth(0).GetByTestId("target-model").FillAsync(upstream);
        await BrowserSession.ClickAsync(page.GetByTestId("target-add"));
        await Expect(targets).ToHaveCountAsync(2);
        await s.ChooseInMudSelectAsync(targets.Nth(1).GetByTestId("target-provider"), "openai (openai)");
        await targets.Nth(1).GetByTestId("target-model").FillAsync("gpt-4o-mini");
        await BrowserSession.ClickAsync(targets.Nth(1).GetByTestId("target-up"));
        await Expect(targets.Nth(0).GetByTestId("target-model")).ToHaveValueAsync("gpt-4o-mini");
        await BrowserSession.ClickAsync(targets.Nth(0).GetByTestId("target-down"));
        await Expect(targets.Nth(0).GetByTestId("target-model")).ToHaveValueAsync(upstream);
        await s.ScreenshotAsync("models-new");
        await BrowserSession.ClickAsync(page.GetByTestId("save-model"));
        var modelRow = Row(page, "models-grid", alias);
        await Expect(modelRow.GetByTestId("model-route")).ToHaveTextAsync($"{provider}/{upstream} → openai/gpt-4o-mini");
        await Expect(page.GetByTestId("model-editor")).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(page, $"Model {alias} added.")).ToBeVisibleAsync();
        await s.ScreenshotAsync("models");

        // Prices: a price for the new provider's model, picked from the catalogue's suggestions, in the dialog.
        await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, "Prices"));
        await Expect(page).ToHaveURLAsync(new Regex("/prices$"));
        await Expect(page.GetByTestId("prices-explained")).ToContainTextAsync("Prices are never edited");
        await BrowserSession.ClickAsync(page.GetByTestId("new-price"));
        var priceDialog = page.Locator(".mud-dialog").Filter(new() { Has = page.GetByTestId("price-form") });
        await s.ChooseInMudSelectAsync(priceDialog.GetByTestId("price-provider"), provider);
        await s.ChooseInMudAutocompleteAsync(priceDialog.GetByTestId("price-model"), "e2e-model", upstream);
        await priceDialog.GetByTestId("price-input").FillAsync("0.123456");
        await priceDialog.GetByTestId("price-cached").FillAsync("0.0125");
        await priceDialog.GetByTestId("price-output").FillAsync("1.5");
        await s.ScreenshotAsync("prices-new");
        await BrowserSession.ClickAsync(priceDialog.GetByTestId("save-price"));
        await Expect(page.GetByTestId("price-form")).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(page, "Price added")).ToContainTextAsync(upstream);
        var priceRow = Row(page, "prices-grid", upstream);
        await Expect(priceRow).ToBeVisibleAsync();
        await Expect(priceRow).ToContainTextAsync(provider);
        await Expect(priceRow.GetByTestId("price-rate-input")).ToHaveTextAsync("$0.123456");
        await Expect(priceRow.GetByTestId("price-rate-cached")).ToHaveTextAsync("$0.0125");
        await Expect(priceRow.GetByTestId("price-rate-output")).ToHaveTextAsync("$1.50");
        await Expect(priceRow.GetByTestId("price-status")).ToHaveTextAsync("in force");
        await s.ScreenshotAsync("prices");

        // All three are kept: a fresh page load of each lists them.
        await s.GoToAsync("/providers");
        await Expect(Row(page, "providers-grid", provider)).ToBeVisibleAsync();
        await s.GoToAsync("/models");
        await Expect(Row(page, "models-grid", alias)).ToBeVisibleAsync();
        await s.GoToAsync("/prices");
        await Expect(Row(page, "prices-grid", upstream)).ToContainTextAsync("$0.123456");

        // The call log, as an Admin sees it: every team's calls, with totals over the filter.
        await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, "Requests"));
        await Expect(page).ToHaveURLAsync(new Regex("/calls$"));
        await Expect(CallRows(page).First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("calls-totals")).ToContainTextAsync("Cost");
        await s.ScreenshotAsync("calls-admin");

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Finance_admin_adds_a_price_but_may_not_open_providers()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Fiona Finance", "/prices");

        await Expect(AdminFlowTests.Nav(page, "Prices")).ToBeVisibleAsync();
        await Expect(AdminFlowTests.Nav(page, "Providers")).ToHaveCountAsync(0);
        var llama = Row(page, "prices-grid", "llama-3.3-70b-versatile");
        await Expect(llama).ToHaveCountAsync(1);
        await Expect(llama.GetByTestId("price-status")).ToHaveTextAsync("in force");

        // The price book's own rule comes back as an error snackbar; the dialog stays open to fix the prices.
        await BrowserSession.ClickAsync(page.GetByTestId("new-price"));
        var dialog = page.Locator(".mud-dialog").Filter(new() { Has = page.GetByTestId("price-form") });
        await s.ChooseInMudSelectAsync(dialog.GetByTestId("price-provider"), "groq");
        await s.ChooseInMudAutocompleteAsync(dialog.GetByTestId("price-model"), "llama", "llama-3.3-70b-versatile");
        await Expect(dialog.GetByTestId("price-current")).ToContainTextAsync("input $0.59");
        await BrowserSession.ClickAsync(dialog.GetByTestId("save-price"));
        await Expect(BrowserSession.Snackbar(page, "would make calls free")).ToBeVisibleAsync();
        await Expect(dialog.GetByTestId("price-form")).ToBeVisibleAsync();

        await dialog.GetByTestId("price-input").FillAsync("0.55");
        await dialog.GetByTestId("price-cached").FillAsync("0.275");
        await dialog.GetByTestId("price-output").FillAsync("0.7875");
        await BrowserSession.ClickAsync(dialog.GetByTestId("save-price"));
        await Expect(page.GetByTestId("price-form")).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(page, "Price added")).ToContainTextAsync("groq/llama-3.3-70b-versatile");

        // The new price is in force; the old one stays, superseded, for the calls made at it.
        await Expect(llama).ToHaveCountAsync(2);
        await Expect(llama.Nth(0).GetByTestId("price-status")).ToHaveTextAsync("in force");
        await Expect(llama.Nth(0).GetByTestId("price-rate-output")).ToHaveTextAsync("$0.7875");
        await Expect(llama.Nth(0)).ToContainTextAsync("fiona.finance@acme.test");
        await Expect(llama.Nth(1).GetByTestId("price-status")).ToHaveTextAsync("superseded");
        await Expect(llama.Nth(1).GetByTestId("price-rate-output")).ToHaveTextAsync("$0.79");
        await s.ScreenshotAsync("prices-finance");
        await s.AssertNoSidewaysScrollAt1280Async();

        await s.GoToAsync("/providers");
        await Expect(page.GetByText("Your role does not give you access")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("providers-grid")).ToHaveCountAsync(0);

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Member_sees_only_the_calls_of_her_teams()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Mia Member", "/calls");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Requests", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("calls-scope")).ToContainTextAsync("your teams");
        await Expect(AdminFlowTests.Nav(page, "Models")).ToBeVisibleAsync();
        await Expect(AdminFlowTests.Nav(page, "Prices")).ToHaveCountAsync(0);
        await Expect(AdminFlowTests.Nav(page, "Providers")).ToHaveCountAsync(0);

        var teams = page.GetByTestId("calls-grid").GetByTestId("call-team");
        await Expect(teams.First).ToBeVisibleAsync();
        await AssertOnlyHerTeamsAsync(teams);
        await s.ScreenshotAsync("calls-member");

        // The next page too: the paging is done by the server (a keyset cursor in the URL), over her calls only.
        var grid = page.GetByTestId("calls-grid");
        await BrowserSession.ClickAsync(page.GetByTestId("calls-next"));
        await Expect(page).ToHaveURLAsync(new Regex("after="));
        await AssertOnlyHerTeamsAsync(teams);

        // Ordering by cost is the server's too: cheapest first, then the most expensive of her calls first.
        await s.GoToAsync("/calls?sort=cost-asc");
        await page.WaitForFunctionAsync(CostsSorted, "ascending");
        await s.GoToAsync("/calls?sort=cost");
        await page.WaitForFunctionAsync(CostsSorted, "descending");
        await AssertOnlyHerTeamsAsync(teams);

        // Only errors: each row says its error class, and the grid starts again at its first page.
        await BrowserSession.ClickAsync(page.GetByTestId("filter-outcome").GetByText("Errors", new() { Exact = true }));
        await Expect(page).ToHaveURLAsync(new Regex("outcome=errors"));
        await Expect(page.GetByTestId("calls-previous")).ToBeDisabledAsync();
        var statuses = grid.GetByTestId("call-status");
        // Other journeys on this app add their own failures (refused keys, bad requests): any class, but always one.
        await Expect(statuses.First).ToHaveTextAsync(new Regex(@"^\d{3} [a-z_]+"));
        await Expect(statuses.Filter(new() { HasNotTextRegex = new Regex(@"^\s*\d{3} [a-z_]+") })).ToHaveCountAsync(0);
        await AssertOnlyHerTeamsAsync(teams);

        // A row opens its details in a drawer: her most expensive call, which was surely routed (an error refused
        // before routing, as other journeys make, has no route to show).
        await s.GoToAsync("/calls?sort=cost");
        await page.WaitForFunctionAsync(CostsSorted, "descending");
        await BrowserSession.ClickAsync(CallRows(page).First);
        var details = page.GetByTestId("call-details");
        await Expect(details.GetByTestId("call-request-id")).ToHaveTextAsync(new Regex("^req_[0-9a-f]{32}$"));
        await Expect(details.GetByTestId("call-route")).ToContainTextAsync("alias '");
        await Expect(details.GetByTestId("call-bytes")).ToContainTextAsync("sent");
        await s.ScreenshotAsync("calls-details");
        await BrowserSession.ClickAsync(page.GetByTestId("call-close"));
        await Expect(page.GetByTestId("call-details")).ToHaveCountAsync(0);

        await s.AssertNoSidewaysScrollAt1280Async();

        s.AssertNoBrowserErrors();
    }

    private static readonly string[] HerTeams = ["Platform", "Search"];

    private static async Task AssertOnlyHerTeamsAsync(ILocator teams)
    {
        var seen = (await teams.AllInnerTextsAsync()).Select(t => t.Trim()).ToList();
        Assert.NotEmpty(seen);
        Assert.All(seen, team => Assert.Contains(team, HerTeams));
    }

    [Fact]
    public async Task Providers_and_models_fit_a_1280_pixel_window()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await page.SetViewportSizeAsync(1280, 800);
        await s.SignInAsAsync("Adam Admin", "/providers");

        foreach (var (path, grid) in new[] { ("/providers", "providers-grid"), ("/models", "models-grid") })
        {
            await s.GoToAsync(path);
            await Expect(page.GetByTestId(grid).Locator("tbody tr").First).ToBeVisibleAsync();
            await s.AssertFitsWidthAsync(1280, path);
            await s.ScreenshotAsync($"fit-1280{path.Replace('/', '-')}");
        }

        s.AssertNoBrowserErrors();
    }


    /// <summary>True once the Calls grid shows its costs in that order ("ascending" or "descending"), not all equal.</summary>
    private const string CostsSorted = """
        order => {
            const costs = [...document.querySelectorAll('[data-testid=calls-grid] [data-testid=call-cost]')].map(e => parseFloat(e.textContent.slice(1))).filter(c => !isNaN(c));
            const sign = order === 'ascending' ? 1 : -1;
            // The cheapest page may be all free refusals (other journeys share the app); the dearest never is.
            return costs.length > 1 && costs.every((c, i) => i === 0 || sign * (c - costs[i - 1]) >= 0)
                && (order === 'ascending' || costs[0] !== costs[costs.length - 1]);
        }
        """;

    /// <summary>The Calls grid's rows of calls (not its loading or empty rows).</summary>
    private static ILocator CallRows(IPage page) =>
        page.GetByTestId("calls-grid").Locator("tbody tr").Filter(new() { Has = page.GetByTestId("call-at") });

    private static ILocator Row(IPage page, string grid, string text) =>
        page.GetByTestId(grid).Locator("tbody tr").Filter(new() { HasText = text });
}
