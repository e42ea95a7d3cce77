using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>The Wallets page in Chromium: finance sets budgets and sees how full they are; a member only looks.</summary>
[Collection(E2EFixtures.Name)]
public sealed class WalletsTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task Finance_changes_the_Sales_budget_adds_one_for_a_Sales_key_and_sees_the_bars()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Fiona Finance", "/wallets");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Wallets", Exact = true })).ToBeVisibleAsync();
        await Expect(AdminFlowTests.Nav(page, "Wallets")).ToBeVisibleAsync();

        // The demo's Sales budget, with its bar and numbers.
        var sales = Row(page, "Team Sales");
        await Expect(sales).ToBeVisibleAsync();
        await Expect(sales.GetByTestId("utilisation")).ToBeVisibleAsync();
        await Expect(sales.GetByTestId("wallet-policy-value")).ToHaveTextAsync("warn only");
        await Expect(page.GetByTestId("chargeback-download")).ToHaveAttributeAsync("href", new Regex(@"^/wallets/chargeback\.csv\?from=\d{4}-\d{2}-01&to=\d{4}-\d{2}-\d{2}$"));
        await s.ScreenshotAsync("wallets-finance");

        // A new limit for Sales, in the editor dialog.
        await BrowserSession.ClickAsync(sales.GetByTestId("edit-wallet"));
        var dialog = page.GetByRole(AriaRole.Dialog);
        var title = page.GetByTestId("wallet-editor-title");
        await Expect(title).ToHaveTextAsync("Budget of Team Sales");
        await BrowserSession.FieldInput(dialog, "wallet-limit").FillAsync("6");
        await s.ScreenshotAsync("wallets-edit");
        await BrowserSession.ClickAsync(page.GetByTestId("save-wallet"));
        await Expect(title).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(page, "Budget saved: Team Sales, $6.00 monthly")).ToBeVisibleAsync();
        await Expect(sales.GetByTestId("wallet-limit-value")).ToHaveTextAsync("$6.00");
        await Expect(sales.GetByTestId("utilisation-text")).ToHaveTextAsync(new Regex(@"^\d+\.\d %$"));

        // A budget for the Sales key, which has none: it sits under the team's.
        await BrowserSession.ClickAsync(page.GetByTestId("add-budget"));
        await Expect(title).ToHaveTextAsync("Add a budget");
        var owner = BrowserSession.FieldInput(dialog, "wallet-owner");
        await BrowserSession.WiredAsync(owner);
        await owner.FillAsync("sales-assistant");
        await BrowserSession.ClickAsync(page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex(@"^\s*Key sales-assistant ") }));
        await Expect(owner).ToHaveValueAsync(new Regex("^Key sales-assistant "));
        await BrowserSession.FieldInput(dialog, "wallet-limit").FillAsync("2.5");
        await BrowserSession.ClickAsync(page.GetByTestId("save-wallet"));
        await Expect(title).ToHaveCountAsync(0);
        var key = Row(page, "Key sales-assistant");
        await Expect(key).ToBeVisibleAsync();
        await Expect(key.GetByTestId("wallet-limit-value")).ToHaveTextAsync("$2.50");
        await Expect(key.GetByTestId("utilisation").Locator(".mud-progress-linear")).ToBeVisibleAsync();
        await Expect(key.Locator(".cp-indent-1, .cp-indent-2, .cp-indent-3, .cp-indent-4")).ToHaveCountAsync(1); // under the team's budget

        // A limit above the team's is refused in words, beside the form and in a snackbar.
        await BrowserSession.ClickAsync(key.GetByTestId("edit-wallet"));
        await BrowserSession.FieldInput(dialog, "wallet-limit").FillAsync("60");
        await BrowserSession.ClickAsync(page.GetByTestId("save-wallet"));
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("cannot exceed the parent budget's limit of 6 USD");
        await Expect(BrowserSession.Snackbar(page, "was not saved")).ToBeVisibleAsync();
        await BrowserSession.ClickAsync(page.GetByTestId("cancel-wallet"));
        await Expect(title).ToHaveCountAsync(0);

        // A budget opens to its card (where its burn chart sits) with its own events.
        await BrowserSession.ClickAsync(Row(page, "Team Sales").Locator("td").First.Locator("button"));
        await Expect(page.GetByTestId("wallet-card")).ToBeVisibleAsync();

        await Expect(page.GetByTestId("wallet-event").First).ToBeVisibleAsync();
        await s.ScreenshotAsync("wallets-added");
        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Member_sees_her_teams_wallets_without_edit_buttons()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Mia Member", "/wallets");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Wallets", Exact = true })).ToBeVisibleAsync();

        await Expect(Row(page, "Team Platform")).ToBeVisibleAsync();
        await Expect(Row(page, "Team Search").GetByTestId("utilisation")).ToBeVisibleAsync();
        await Expect(Row(page, "Team Sales")).ToHaveCountAsync(0);
        await Expect(Row(page, "Acme Robotics")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("edit-wallet")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("add-budget")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("chargeback")).ToHaveCountAsync(0);
        await s.ScreenshotAsync("wallets-member");
        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Wallets_fit_a_1280_pixel_window()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        await s.Page.SetViewportSizeAsync(1280, 800);
        await s.SignInAsAsync("Fiona Finance", "/wallets");
        await Expect(s.Page.GetByTestId("edit-wallet").First).ToBeVisibleAsync();

        await s.AssertFitsWidthAsync(1280, "/wallets as a FinanceAdmin");
        await s.ScreenshotAsync("wallets-1280");
        s.AssertNoBrowserErrors();
    }


    private static ILocator Row(IPage page, string text) =>
        page.GetByTestId("wallets-grid").Locator("tbody tr").Filter(new() { Has = page.GetByTestId("wallet-row").GetByText(text) });
}
