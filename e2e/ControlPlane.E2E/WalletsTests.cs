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

        // A new limit for Sales.
        await BrowserSession.ClickAsync(sales.GetByTestId("edit-wallet"));
        var editor = page.GetByTestId("wallet-editor");
        await Expect(editor.GetByTestId("wallet-editor-title")).ToHaveTextAsync("Budget of Team Sales");
        await page.GetByTestId("wallet-limit").FillAsync("6");
        await s.ScreenshotAsync("wallets-edit");
        await BrowserSession.ClickAsync(page.GetByTestId("save-wallet"));
        await Expect(editor).ToHaveCountAsync(0);
        await Expect(sales.GetByTestId("wallet-limit-value")).ToHaveTextAsync("$6.00");
        await Expect(sales.GetByTestId("utilisation-text")).ToHaveTextAsync(new Regex(@"^\d+\.\d %$"));

        // A budget for the Sales key, which has none: it sits under the team's.
        await BrowserSession.ClickAsync(page.GetByTestId("add-budget"));
        await Expect(editor.GetByTestId("wallet-editor-title")).ToHaveTextAsync("Add a budget");
        var owner = page.GetByTestId("wallet-owner");
        await BrowserSession.ClickAsync(owner);
        await BrowserSession.ClickAsync(page.Locator(".rz-dropdown-panel:visible li.rz-dropdown-item[aria-label^='Key sales-assistant']"));
        await page.GetByTestId("wallet-limit").FillAsync("2.5");
        await BrowserSession.ClickAsync(page.GetByTestId("save-wallet"));
        await Expect(editor).ToHaveCountAsync(0);
        var key = Row(page, "Key sales-assistant");
        await Expect(key).ToBeVisibleAsync();
        await Expect(key.GetByTestId("wallet-limit-value")).ToHaveTextAsync("$2.50");
        await Expect(key.GetByTestId("utilisation").Locator(".rz-progressbar")).ToBeVisibleAsync();
        await Expect(key.Locator(".cp-indent-1, .cp-indent-2, .cp-indent-3, .cp-indent-4")).ToHaveCountAsync(1); // under the team's budget

        // A limit above the team's is refused in words.
        await BrowserSession.ClickAsync(key.GetByTestId("edit-wallet"));
        await page.GetByTestId("wallet-limit").FillAsync("60");
        await BrowserSession.ClickAsync(page.GetByTestId("save-wallet"));
        await Expect(page.GetByTestId("form-error")).ToContainTextAsync("cannot exceed the parent budget's limit of 6 USD");
        await BrowserSession.ClickAsync(page.GetByTestId("cancel-wallet"));
        await Expect(editor).ToHaveCountAsync(0);

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

    private static ILocator Row(IPage page, string text) =>
        page.GetByTestId("wallets-grid").Locator("tbody tr").Filter(new() { Has = page.GetByTestId("wallet-row").GetByText(text) });
}
