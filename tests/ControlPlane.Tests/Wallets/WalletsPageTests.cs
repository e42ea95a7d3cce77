using AngleSharp.Dom;
using Bunit;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace ControlPlane.Tests.Wallets;

/// <summary>The Wallets page and its editor dialog, on the real app's services and demo data.</summary>
public sealed class WalletsPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task Finance_changes_a_budgets_limit_and_the_database_keeps_it()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (dialogs, page) = RenderWithDialogs<WalletsPage>();

        ClickIn(page, "Team Research", "edit-wallet");
        Assert.Equal("Budget of Team Research", dialogs.WaitForElement("[data-testid=wallet-editor-title]").TextContent.Trim());
        InputOf(dialogs, "wallet-limit").Change("12");
        dialogs.Find("[data-testid=save-wallet]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=wallet-editor-title]")));
        Assert.Equal(12m, (await WalletAsync("Team Research")).Limit);
        page.WaitForAssertion(() => Assert.Equal("$12.00", Row(page, "Team Research")!.QuerySelector("[data-testid=wallet-limit-value]")!.TextContent.Trim()));
        Assert.Contains(Snackbars, s => s.Severity == Severity.Success && (s.Message ?? "").StartsWith("Budget saved: Team Research", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_editor_refuses_thresholds_that_are_not_percentages_next_to_the_field()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (dialogs, page) = RenderWithDialogs<WalletsPage>();
        var before = await WalletAsync("Team Mobile");

        ClickIn(page, "Team Mobile", "edit-wallet");
        InputOf(dialogs, "wallet-thresholds").Change("80,abc");
        InputOf(dialogs, "wallet-limit").Change("-1");
        dialogs.Find("[data-testid=save-wallet]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("Whole percentages between 1 and 99", FieldOf(dialogs, "wallet-thresholds").TextContent, StringComparison.Ordinal));
        Assert.Contains("Between 0 and 1,000,000,000 USD", FieldOf(dialogs, "wallet-limit").TextContent, StringComparison.Ordinal);
        var after = await WalletAsync("Team Mobile");
        Assert.Equal((before.Limit, before.Thresholds), (after.Limit, after.Thresholds));
        Assert.Empty(Snackbars);

        dialogs.Find("[data-testid=cancel-wallet]").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=wallet-editor-title]")));
    }

    [Fact]
    public async Task A_new_budget_needs_its_owner_and_says_so_next_to_the_field()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (dialogs, page) = RenderWithDialogs<WalletsPage>();
        var before = await WalletCountAsync();

        (await page.WaitForElementAsync("[data-testid=add-budget]")).Click();
        Assert.Equal("Add a budget", dialogs.WaitForElement("[data-testid=wallet-editor-title]").TextContent.Trim());
        dialogs.Find("[data-testid=save-wallet]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("Choose what this budget is for.", FieldOf(dialogs, "wallet-owner").TextContent, StringComparison.Ordinal));
        Assert.Equal(before, await WalletCountAsync());
    }

    [Fact]
    public async Task Finance_adds_a_budget_for_a_key_under_its_teams_budget()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (dialogs, page) = RenderWithDialogs<WalletsPage>();

        (await page.WaitForElementAsync("[data-testid=add-budget]")).Click();
        var editor = dialogs.WaitForComponent<WalletEditor>();
        var key = editor.Instance.Unbudgeted.Single(c => c.Label.StartsWith("Key research-notebooks ", StringComparison.Ordinal));
        await dialogs.InvokeAsync(() => dialogs.FindComponent<MudAutocomplete<BudgetCandidate>>().Instance.SelectOptionAsync(key));
        InputOf(dialogs, "wallet-limit").Change("2.5");
        dialogs.Find("[data-testid=save-wallet]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=wallet-editor-title]")));
        await using var db = App.App.OpenDb();
        var saved = await db.Wallets.AsNoTracking().SingleAsync(w => w.OwnerKind == WalletOwners.Key && w.OwnerId == key.OwnerId);
        Assert.Equal(2.5m, saved.Limit);
        Assert.Equal((await WalletAsync("Team Research")).Id, saved.ParentWalletId);
        page.WaitForAssertion(() => Assert.NotNull(Row(page, "Key research-notebooks")));
        Assert.Contains(Snackbars, s => s.Severity == Severity.Success && (s.Message ?? "").StartsWith("Budget added: Key research-notebooks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_limit_above_the_parents_is_refused_in_the_form_and_a_snackbar()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (dialogs, page) = RenderWithDialogs<WalletsPage>();
        var before = await WalletAsync("Team Mobile");

        ClickIn(page, "Team Mobile", "edit-wallet");
        InputOf(dialogs, "wallet-limit").Change("5000");
        dialogs.Find("[data-testid=save-wallet]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("cannot exceed the parent budget's limit of 200 USD", dialogs.Find("[data-testid=form-error]").TextContent, StringComparison.Ordinal));
        Assert.Contains(Snackbars, s => s.Severity == Severity.Error && (s.Message ?? "").Contains("cannot exceed the parent budget's limit", StringComparison.Ordinal));
        Assert.Equal(before.Limit, (await WalletAsync("Team Mobile")).Limit);
    }

    [Fact]
    public async Task A_budget_opens_to_its_card_with_its_own_events()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (_, page) = RenderWithDialogs<WalletsPage>();

        page.WaitForAssertion(() => Assert.NotNull(Row(page, "Team Search")));
        Row(page, "Team Search")!.QuerySelector("td button")!.Click();

        var card = page.WaitForElement("[data-testid=wallet-card]");
        Assert.Contains("Acme", card.TextContent, StringComparison.Ordinal); // the path from the organisation down
        Assert.NotEmpty(card.QuerySelectorAll("[data-testid=wallet-event]")); // Search is past its thresholds on any date
    }

    [Fact]
    public async Task A_member_sees_her_teams_budgets_without_edit_or_add_buttons()
    {
        await SignInAsAsync("mia.member@acme.test");
        var (_, page) = RenderWithDialogs<WalletsPage>();

        page.WaitForAssertion(() => Assert.NotNull(Row(page, "Team Platform")));
        Assert.NotNull(Row(page, "Team Search")!.QuerySelector("[data-testid=utilisation]"));
        Assert.Null(Row(page, "Team Sales"));
        Assert.Empty(page.FindAll("[data-testid=edit-wallet]"));
        Assert.Empty(page.FindAll("[data-testid=add-budget]"));
        Assert.Empty(page.FindAll("[data-testid=chargeback]"));
    }

    [Fact]
    public async Task Finance_sees_the_chargeback_link_for_this_month()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (_, page) = RenderWithDialogs<WalletsPage>();

        var link = page.WaitForElement("[data-testid=chargeback-download]");
        Assert.Matches(@"^/wallets/chargeback\.csv\?from=\d{4}-\d{2}-01&to=\d{4}-\d{2}-\d{2}$", link.GetAttribute("href"));
        Assert.True(link.HasAttribute("download"));
        link.Click();
        Assert.Contains(Snackbars, s => s.Severity == Severity.Info && (s.Message ?? "").Contains("downloading as CSV", StringComparison.Ordinal));
    }


    private static IElement? Row(IRenderedComponent<WalletsPage> page, string name) =>
        page.FindAll("[data-testid=wallets-grid] tbody tr")
            .FirstOrDefault(r => r.QuerySelector("[data-testid=wallet-row]")?.TextContent.TrimStart('└', ' ').StartsWith(name, StringComparison.Ordinal) == true);

    private static void ClickIn(IRenderedComponent<WalletsPage> page, string name, string testId)
    {
        page.WaitForAssertion(() => Assert.NotNull(Row(page, name)?.QuerySelector($"[data-testid={testId}]")));
        Row(page, name)!.QuerySelector($"[data-testid={testId}]")!.Click();
    }

    private async Task<Wallet> WalletAsync(string name)
    {
        await using var db = App.App.OpenDb();
        return await db.Wallets.AsNoTracking().SingleAsync(w => w.Name == name);
    }

    private async Task<int> WalletCountAsync()
    {
        await using var db = App.App.OpenDb();
        return await db.Wallets.CountAsync();
    }
}
