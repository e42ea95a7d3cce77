using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>
/// The transfer journey in Chromium, as issue 13 tells it: a key of Search runs out of budget and gets the 402; its
/// TeamLead opens the 402's request_transfer link and asks for the suggested amount; a FinanceAdmin, with the approval
/// queue already open, sees the request arrive and approves it; the TeamLead sees it approved, both without a reload;
/// Search's limit grew by the amount, the same call now gets past the budget, and the audit chain holds both events.
/// </summary>
[Collection(E2EFixtures.Name)]
public sealed class TransferJourneyTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    // claude-haiku is Search's downgrade alias (so no cheaper model is tried): 10 answers of 100k tokens at $5 per 1M
    // output tokens hold $5, far more than what the demo leaves Search this period.
    private const string BigCall = """{"model":"claude-haiku","max_tokens":100000,"n":10,"messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task A_team_lead_requests_budget_from_the_402_link_and_finance_approves_it_live()
    {
        var reason = $"Search ran dry: e2e {Guid.NewGuid():N}"[..40];
        await using var lead = await BrowserSession.StartAsync(browser, app, output, "transfer-lead");
        await using var finance = await BrowserSession.StartAsync(browser, app, output, "transfer-finance");

        // Leo leads Platform, Search's parent team: a key of Search, shown once.
        await lead.SignInAsAsync("Leo Lead", "/keys");
        var secret = await NewSearchKeyAsync(lead);

        // Search's limit as the Wallets page shows it now.
        await lead.GoToAsync("/wallets");
        var before = await LimitOfAsync(lead.Page, "Team Search");

        // The call Search cannot cover: 402, naming Search, with a pre-filled request link.
        using var gateway = new HttpClient { BaseAddress = app.BaseUrl };
        gateway.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        string link;
        decimal amount;
        using (var refused = await gateway.PostAsync("/v1/chat/completions", new StringContent(BigCall, Encoding.UTF8, "application/json")))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True((int)refused.StatusCode == 402, $"expected 402, got {(int)refused.StatusCode}: {body}");
            using var json = JsonDocument.Parse(body);
            var error = json.RootElement.GetProperty("error");
            Assert.Equal("budget_exhausted", error.GetProperty("code").GetString());
            Assert.Equal("Team Search", error.GetProperty("wallet").GetProperty("name").GetString());
            Assert.Equal(before, decimal.Parse(error.GetProperty("wallet").GetProperty("limit").GetString()!, CultureInfo.InvariantCulture));
            link = error.GetProperty("request_transfer").GetString()!;
            amount = decimal.Parse(error.GetProperty("suggested_transfer").GetString()!, CultureInfo.InvariantCulture);
            Assert.Matches(@"^/transfers/new\?wallet=[0-9a-f-]{36}&amount=\d+(\.\d+)?$", link);
        }
        Assert.True(amount >= 1, $"suggested {amount}");

        // The FinanceAdmin keeps the approval queue open from before the request exists.
        await finance.SignInAsAsync("Fiona Finance", "/transfers");
        var queueItem = finance.Page.GetByTestId("queue-item").Filter(new() { HasText = reason });
        await Expect(finance.Page.GetByTestId("tab-queue").Or(finance.Page.GetByRole(AriaRole.Tab, new() { NameRegex = new Regex("^Approval queue") })).First).ToBeVisibleAsync();
        await Expect(queueItem).ToHaveCountAsync(0);

        // The TeamLead follows the link: the request dialog opens with Search and the suggested amount.
        await lead.GoToAsync(link);
        var dialog = lead.Page.GetByTestId("new-transfer-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(BrowserSession.FieldInput(dialog, "transfer-to-wallet")).ToHaveValueAsync("Team Search");
        await Expect(BrowserSession.FieldInput(dialog, "transfer-amount-input")).ToHaveValueAsync(amount.ToString("0.00", CultureInfo.InvariantCulture));
        var why = dialog.Locator("textarea[data-testid='transfer-reason'], [data-testid='transfer-reason'] textarea").First;
        await BrowserSession.WiredAsync(why);
        await why.FillAsync(reason);
        await lead.ScreenshotAsync("transfer-request-prefilled");
        await BrowserSession.ClickAsync(lead.Page.GetByTestId("send-transfer"));
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(lead.Page, $"Requested {Usd(amount)}; 1 approval(s) needed.")).ToBeVisibleAsync();

        // Under "My requests", pending.
        var mine = lead.Page.GetByTestId("transfer-row").Filter(new() { HasText = reason });
        await Expect(mine).ToBeVisibleAsync();
        await Expect(mine.GetByTestId("transfer-state")).ToHaveTextAsync("Pending");
        await Expect(mine.GetByTestId("transfer-to")).ToHaveTextAsync("Team Search");
        await Expect(mine.GetByTestId("transfer-amount")).ToHaveTextAsync(Usd(amount));

        // The request arrives in the finance admin's open queue, with Search's burn rate beside it.
        await Expect(queueItem).ToBeVisibleAsync();
        await Expect(queueItem.GetByTestId("queue-burn-rate")).ToContainTextAsync("spent");
        await finance.ScreenshotAsync("transfer-queue");
        await BrowserSession.ClickAsync(queueItem.GetByTestId("approve-transfer"));
        var decide = finance.Page.GetByTestId("decide-transfer-dialog");
        await Expect(decide).ToContainTextAsync(reason);
        var comment = decide.Locator("textarea[data-testid='decision-comment'], [data-testid='decision-comment'] textarea").First;
        await BrowserSession.WiredAsync(comment);
        await comment.FillAsync("Approved for the e2e run");
        await BrowserSession.ClickAsync(finance.Page.GetByTestId("confirm-decision"));
        await Expect(decide).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(finance.Page, $"Approved: {Usd(amount)} moved to Team Search.")).ToBeVisibleAsync();
        await Expect(queueItem).ToHaveCountAsync(0);

        // The TeamLead's page turns to approved, with the decision's comment, on its own.
        await Expect(mine.GetByTestId("transfer-state")).ToHaveTextAsync("Approved");
        await Expect(mine.GetByTestId("transfer-decision")).ToContainTextAsync("approved by fiona.finance@acme.test: Approved for the e2e run");
        await lead.ScreenshotAsync("transfer-approved");
        Assert.Equal(1, await lead.Page.EvaluateAsync<int>("() => performance.getEntriesByType('navigation').length"));
        Assert.Equal(1, await finance.Page.EvaluateAsync<int>("() => performance.getEntriesByType('navigation').length"));

        // Search's limit grew by the amount.
        await lead.GoToAsync("/wallets");
        await Expect(WalletRow(lead.Page, "Team Search").GetByTestId("wallet-limit-value")).ToHaveTextAsync(Usd(before + amount));

        // No call after the approval: the e2e app's providers are the demo's real hosts, and tests send nothing
        // beyond 127.0.0.0/8 (not even a name lookup). The limit above is what the budget check reads.

        // The audit chain has both, for the transfer's target.
        lead.AssertNoBrowserErrors();
        finance.AssertNoBrowserErrors();
        await using var auditor = await BrowserSession.StartAsync(browser, app, output, "transfer-audit");
        await auditor.SignInAsAsync("Aria Auditor", "/audit");
        var rows = auditor.Page.GetByTestId("audit-grid").Locator("tbody tr");
        await Expect(rows.Filter(new() { HasText = "transfer.requested" }).Filter(new() { HasText = "leo.lead@acme.test" }).First).ToBeVisibleAsync();
        await Expect(rows.Filter(new() { HasText = "transfer.approved" }).Filter(new() { HasText = "fiona.finance@acme.test" }).First).ToBeVisibleAsync();
        await Expect(auditor.Page.GetByTestId("chain-status")).ToContainTextAsync("The chain is intact");
        await auditor.ScreenshotAsync("transfer-audit");
        auditor.AssertNoBrowserErrors();
    }

    /// <summary>Makes a key of Search on the Keys page and returns its secret.</summary>
    private static async Task<string> NewSearchKeyAsync(BrowserSession s)
    {
        var page = s.Page;
        await BrowserSession.ClickAsync(page.GetByTestId("new-key-button"));
        var form = page.GetByRole(AriaRole.Dialog).Filter(new() { Has = page.GetByTestId("create-key") });
        await s.ChooseInMudAutocompleteAsync(BrowserSession.FieldInput(form, "key-team"), "Search", "Engineering / Platform / Search");
        await BrowserSession.FieldInput(form, "key-name").FillAsync($"transfer-{Guid.NewGuid():N}"[..20]);
        await BrowserSession.ClickAsync(page.GetByTestId("create-key"));
        var secretBox = page.GetByTestId("new-key-secret");
        await Expect(secretBox).ToHaveTextAsync(new Regex("^cp-live-[A-Za-z0-9]{40}$"));
        var secret = (await secretBox.InnerTextAsync()).Trim();
        await BrowserSession.ClickAsync(page.GetByTestId("key-done"));
        return secret;
    }

    private static async Task<decimal> LimitOfAsync(IPage page, string wallet)
    {
        var cell = WalletRow(page, wallet).GetByTestId("wallet-limit-value");
        await Expect(cell).ToHaveTextAsync(new Regex(@"^\$\d"));
        return decimal.Parse((await cell.InnerTextAsync()).Trim().TrimStart('$').Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    /// <summary>As the app writes dollars (Usd.Format): two decimals, more only when there are more.</summary>
    private static string Usd(decimal amount) => "$" + decimal.Round(amount, 6, MidpointRounding.AwayFromZero).ToString("0.00####", CultureInfo.InvariantCulture);

    private static ILocator WalletRow(IPage page, string text) =>
        page.GetByTestId("wallets-grid").Locator("tbody tr").Filter(new() { Has = page.GetByTestId("wallet-row").GetByText(text) });
}
