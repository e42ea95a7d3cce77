using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>What an Admin does in Chromium against the real app: teams, keys, members, and that the server keeps it.</summary>
[Collection(E2EFixtures.Name)]
public sealed class AdminFlowTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task Admin_creates_a_nested_team_and_a_key_sees_it_once_and_revokes_it()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        var team = $"QA-{Guid.NewGuid():N}"[..11];
        var keyName = $"e2e-{Guid.NewGuid():N}"[..16];

        // Overview, reached through the sign-in redirect.
        await s.SignInAsAsync("Adam Admin", screenshot: "sign-in");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Teams you can see")).ToBeVisibleAsync();
        await s.ScreenshotAsync("overview");

        // Teams: a new team under Engineering, made in its dialog.
        await BrowserSession.ClickAsync(Nav(page, "Teams"));
        await Expect(page).ToHaveURLAsync(new Regex("/teams$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Teams", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("team-row").First).ToBeVisibleAsync();
        await BrowserSession.ClickAsync(page.GetByTestId("new-team"));
        var newTeam = page.GetByRole(AriaRole.Dialog).Filter(new() { Has = page.GetByTestId("create-team") });
        await Expect(newTeam).ToBeVisibleAsync();
        await BrowserSession.FieldInput(newTeam, "team-name").FillAsync(team);
        await s.ChooseInMudSelectAsync(newTeam.GetByTestId("team-parent"), "Engineering");
        await BrowserSession.ClickAsync(newTeam.GetByRole(AriaRole.Button, new() { Name = "Create team" }));
        await Expect(newTeam).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(page, $"Team {team} created.")).ToBeVisibleAsync();

        // The new team is selected: its members panel names the full path.
        await Expect(page.GetByTestId("team-title")).ToHaveTextAsync($"Engineering / {team}");
        // In the tree it sits inside Engineering's branch, and nowhere else.
        await Expect(TeamRow(page, team)).ToHaveCountAsync(1);
        await Expect(TeamBranch(page, "Engineering").Locator($"[data-testid=team-row][data-team='{team}']")).ToHaveCountAsync(1);
        await Expect(TeamBranch(page, "Research").Locator($"[data-testid=team-row][data-team='{team}']")).ToHaveCountAsync(0);
        await s.ScreenshotAsync("teams");

        // Keys: a key for the new team, made in a dialog.
        await BrowserSession.ClickAsync(Nav(page, "Keys"));
        await Expect(page).ToHaveURLAsync(new Regex("/keys$"));
        await Expect(page.GetByTestId("key-status").First).ToBeVisibleAsync();
        await BrowserSession.ClickAsync(page.GetByTestId("new-key-button"));
        var form = page.GetByRole(AriaRole.Dialog).Filter(new() { Has = page.GetByTestId("create-key") });
        await s.ChooseInMudAutocompleteAsync(BrowserSession.FieldInput(form, "key-team"), team, $"Engineering / {team}");
        await BrowserSession.FieldInput(form, "key-name").FillAsync(keyName);
        await BrowserSession.ClickAsync(page.GetByTestId("create-key"));

        // Shown once, in its own dialog: the whole plaintext, cp-live- and 40 more characters.
        var secretBox = page.GetByTestId("new-key-secret");
        await Expect(secretBox).ToHaveTextAsync(new Regex("^cp-live-[A-Za-z0-9]{40}$"));
        await Expect(page.GetByRole(AriaRole.Dialog).Filter(new() { Has = secretBox })).ToContainTextAsync("shown only this once");
        await Expect(page.GetByTestId("copy-key")).ToBeVisibleAsync();
        var secret = (await secretBox.InnerTextAsync()).Trim();
        Assert.Equal(48, secret.Length);
        var keyRow = KeyRow(page, keyName);
        await Expect(keyRow).ToBeAttachedAsync();
        await Expect(keyRow.GetByTestId("key-prefix")).ToHaveTextAsync($"{secret[..16]}…");
        await Expect(keyRow).ToContainTextAsync($"Engineering / {team}");
        await s.ScreenshotAsync("keys-created");

        await BrowserSession.ClickAsync(page.GetByTestId("key-done"));
        await Expect(secretBox).ToHaveCountAsync(0);
        await Expect(page.Locator("body")).Not.ToContainTextAsync(secret);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);

        // Never again, not even after a reload.
        await s.ReloadAsync();
        await Expect(keyRow).ToBeVisibleAsync();
        await Expect(secretBox).ToHaveCountAsync(0);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await s.ScreenshotAsync("keys");

        // Limits beside money, in their dialog.
        await BrowserSession.ClickAsync(keyRow.GetByTestId("limits"));
        var limits = page.GetByRole(AriaRole.Dialog).Filter(new() { Has = page.GetByTestId("limits-save") });
        await BrowserSession.FieldInput(limits, "limit-rpm").FillAsync("60");
        await BrowserSession.ClickAsync(page.GetByTestId("limits-save"));
        await Expect(limits).ToHaveCountAsync(0);
        await Expect(keyRow).ToContainTextAsync("60 req/min");
        await Expect(BrowserSession.Snackbar(page, "saved")).ToBeVisibleAsync();

        // Revoke, confirmed in the dialog.
        await Expect(keyRow.GetByTestId("key-status")).ToHaveTextAsync("Active");
        await BrowserSession.ClickAsync(keyRow.GetByTestId("revoke"));
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync(keyName);
        await BrowserSession.ClickAsync(dialog.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }));
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(keyRow.GetByTestId("key-status")).ToHaveTextAsync("Revoked");
        await Expect(keyRow.GetByTestId("revoke")).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(page, "revoked")).ToBeVisibleAsync();

        // The server changed: a fresh page load says the same.
        await s.ReloadAsync();
        await Expect(keyRow.GetByTestId("key-status")).ToHaveTextAsync("Revoked");
        await Expect(keyRow.GetByTestId("revoke")).ToHaveCountAsync(0);

        // The audit page opens for an Admin (what it lists is checked in AuditTests).
        await BrowserSession.ClickAsync(Nav(page, "Audit"));
        await Expect(page).ToHaveURLAsync(new Regex("/audit$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("chain-status")).ToContainTextAsync("The chain is intact");
        await Expect(page.GetByTestId("audit-grid")).ToBeVisibleAsync();
        await s.ScreenshotAsync("audit");

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Clicking_in_Chromium_changes_server_state()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Adam Admin", "/teams");

        // Research starts with its lead only; Sam Sales joins it, picked in the add-member dialog.
        await SelectTeamAsync(page, "Research");
        var members = page.GetByTestId("members-grid");
        await Expect(members).ToContainTextAsync("Rita Research");
        await Expect(members).Not.ToContainTextAsync("Sam Sales");
        await BrowserSession.ClickAsync(page.GetByTestId("open-add-member"));
        var add = page.GetByRole(AriaRole.Dialog).Filter(new() { Has = page.GetByTestId("add-member") });
        await s.ChooseInMudAutocompleteAsync(BrowserSession.FieldInput(add, "member-person"), "Sam", "Sam Sales (sam.sales@acme.test)");
        await BrowserSession.ClickAsync(add.GetByTestId("add-member"));
        await Expect(add).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(page, "Sam Sales joined Research.")).ToBeVisibleAsync();
        await Expect(MemberRow(page, "Sam Sales")).ToHaveCountAsync(1);
        await Expect(PeopleCount(page, "Research")).ToHaveTextAsync("2");

        // A new page load reads the database again.
        await s.ReloadAsync();
        await Expect(PeopleCount(page, "Research")).ToHaveTextAsync("2");
        await SelectTeamAsync(page, "Research");
        await Expect(MemberRow(page, "Sam Sales")).ToContainTextAsync("Member");

        // Removing him asks first; confirmed, he is gone, and stays gone after a reload.
        await BrowserSession.ClickAsync(MemberRow(page, "Sam Sales").GetByTestId("remove-member"));
        var confirm = page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Remove Sam Sales" });
        await Expect(confirm).ToContainTextAsync("from Research?");
        await BrowserSession.ClickAsync(confirm.GetByTestId("confirm-remove"));
        await Expect(confirm).ToHaveCountAsync(0);
        await Expect(BrowserSession.Snackbar(page, "Sam Sales was removed from Research.")).ToBeVisibleAsync();
        await Expect(MemberRow(page, "Sam Sales")).ToHaveCountAsync(0);
        await s.ReloadAsync();
        await Expect(PeopleCount(page, "Research")).ToHaveTextAsync("1");

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Teams_page_fits_a_1280_pixel_window()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await page.SetViewportSizeAsync(1280, 800);
        await s.SignInAsAsync("Adam Admin", "/teams");

        // The widest state: a team with members, projects and the retention setting beside the tree.
        await SelectTeamAsync(page, "Sales");
        await Expect(page.GetByTestId("projects-panel")).ToBeVisibleAsync();
        await s.AssertFitsWidthAsync(1280, "/teams");

        s.AssertNoBrowserErrors();
    }

    /// <summary>A link of the sidebar menu (the overview's cards link to the same pages).</summary>
    internal static ILocator Nav(IPage page, string text) =>
        page.Locator(".mud-drawer").GetByRole(AriaRole.Link, new() { Name = text, Exact = true });

    private static ILocator KeyRow(IPage page, string keyName) =>
        page.GetByTestId("keys-grid").Locator("tbody tr").Filter(new() { HasText = keyName });

    private static ILocator TeamRow(IPage page, string name) =>
        page.GetByTestId("teams-tree").Locator($"[data-testid=team-row][data-team='{name}']");

    /// <summary>A team's item in the tree with everything nested under it.</summary>
    private static ILocator TeamBranch(IPage page, string name) => TeamRow(page, name).Locator("xpath=ancestor::li[1]");

    /// <summary>The number of people shown beside a team in the tree.</summary>
    private static ILocator PeopleCount(IPage page, string name) => TeamRow(page, name).GetByTestId("team-people");

    private static ILocator MemberRow(IPage page, string person) =>
        page.GetByTestId("members-grid").Locator("tbody tr").Filter(new() { HasText = person });

    private static async Task SelectTeamAsync(IPage page, string name)
    {
        await BrowserSession.ClickAsync(TeamRow(page, name));
        await Expect(page.GetByTestId("team-title")).ToHaveTextAsync(name);
    }
}
