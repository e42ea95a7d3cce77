using AngleSharp.Dom;
using Bunit;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;
using MudBlazor;

namespace ControlPlane.Tests.Keys;

/// <summary>The Keys page with its dialogs, on the real app's services and demo data.</summary>
public sealed class KeysPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task A_new_key_needs_a_team_and_says_so_next_to_the_field()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var (dialogs, page) = RenderWithDialogs<KeysPage>();
        var before = await KeyCountAsync();

        await OpenNewKeyAsync(dialogs, page);
        dialogs.Find("[data-testid=create-key]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("Pick the team that pays for this key.", FieldOf(dialogs, "key-team").TextContent, StringComparison.Ordinal));
        Assert.Equal(before, await KeyCountAsync());
        Assert.Empty(Snackbars);
    }

    [Fact]
    public async Task A_key_name_longer_than_a_hundred_characters_is_refused_next_to_the_field()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var (dialogs, page) = RenderWithDialogs<KeysPage>();
        var before = await KeyCountAsync();

        await OpenNewKeyAsync(dialogs, page);
        await ChooseTeamAsync(dialogs, "Research");
        InputOf(dialogs, "key-name").Change(new string('k', KeyService.MaxNameLength + 1));
        dialogs.Find("[data-testid=create-key]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("At most 100 characters.", FieldOf(dialogs, "key-name").TextContent, StringComparison.Ordinal));
        Assert.Equal(before, await KeyCountAsync());
    }

    [Fact]
    public async Task A_new_key_is_saved_and_its_secret_shown_once_in_a_dialog_with_a_copy_button()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var (dialogs, page) = RenderWithDialogs<KeysPage>();
        var name = Unique("bunit-key");

        await OpenNewKeyAsync(dialogs, page);
        await ChooseTeamAsync(dialogs, "Research");
        InputOf(dialogs, "key-name").Change(name);
        dialogs.Find("[data-testid=create-key]").Click();

        var secret = dialogs.WaitForElement("[data-testid=new-key-secret]").TextContent.Trim();
        Assert.Matches("^cp-live-[A-Za-z0-9]{40}$", secret);
        Assert.Contains("shown only this once", dialogs.Find("[data-testid=new-key]").TextContent, StringComparison.Ordinal);
        await using (var db = App.App.OpenDb())
        {
            var saved = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == name);
            Assert.Equal(KeySecret.HashOf(secret), saved.Hash);
            Assert.Equal((await db.Teams.SingleAsync(t => t.Name == "Research")).Id, saved.TeamId);
        }
        Assert.Contains(Snackbars, s => s.Severity == Severity.Success && (s.Message ?? "").Contains(name, StringComparison.Ordinal));
        page.WaitForAssertion(() => Assert.NotNull(KeyRow(page, name)));

        dialogs.Find("[data-testid=copy-key]").Click();
        Assert.Equal(secret, JSInterop.VerifyInvoke("navigator.clipboard.writeText").Arguments.Single());
        Assert.Contains(Snackbars, s => s.Severity == Severity.Success && (s.Message ?? "").Contains("clipboard", StringComparison.Ordinal));

        dialogs.Find("[data-testid=key-done]").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=new-key]")));
        Assert.DoesNotContain(secret, dialogs.Markup + page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clipboard_the_browser_refuses_is_answered_with_a_snackbar_saying_to_copy_by_hand()
    {
        await SignInAsAsync("adam.admin@acme.test");
        JSInterop.SetupVoid("navigator.clipboard.writeText", _ => true).SetException(new JSException("Write permission denied."));
        var (dialogs, _) = RenderWithDialogs<KeysPage>();

        await dialogs.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<ShownOnceKey>("Your new key", new DialogParameters<ShownOnceKey>
        {
            { k => k.Name, "checkout" },
            { k => k.Plaintext, "cp-live-0123456789abcdefghijklmnopqrstuvwxyzABCD" },
        }));
        dialogs.WaitForElement("[data-testid=copy-key]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains(Snackbars, s => s.Severity == Severity.Error && (s.Message ?? "").Contains("copy it by hand", StringComparison.Ordinal)));
        Assert.Equal("cp-live-0123456789abcdefghijklmnopqrstuvwxyzABCD", dialogs.Find("[data-testid=new-key-secret]").TextContent.Trim());
    }

    [Fact]
    public async Task A_key_that_cannot_be_created_is_answered_in_the_form_and_a_snackbar()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var doomed = await CreateTeamAsync(Unique("Doomed"));
        var (dialogs, page) = RenderWithDialogs<KeysPage>();

        await OpenNewKeyAsync(dialogs, page);
        await ChooseTeamAsync(dialogs, doomed.Name);
        await using (var db = App.App.OpenDb())
            await db.Teams.Where(t => t.Id == doomed.Id).ExecuteDeleteAsync(); // gone while the form was open
        dialogs.Find("[data-testid=create-key]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("That team no longer exists.", dialogs.Find("[data-testid=form-error]").TextContent, StringComparison.Ordinal));
        Assert.Contains(Snackbars, s => s.Severity == Severity.Error && (s.Message ?? "").Contains("no longer exists", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Revoking_asks_first_and_Keep_leaves_the_key_active()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var key = await CreateKeyAsync(Unique("keep-me"));
        var (dialogs, page) = RenderWithDialogs<KeysPage>();

        ClickIn(page, key.Name, "revoke");
        dialogs.WaitForAssertion(() => Assert.Contains($"Revoke {key.Prefix}…", dialogs.Find(".mud-dialog").TextContent, StringComparison.Ordinal));
        Button(dialogs, "Keep").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")));
        Assert.Null((await KeyAsync(key.Id)).RevokedAt);
        Assert.Equal("Active", KeyRow(page, key.Name)!.QuerySelector("[data-testid=key-status]")!.TextContent.Trim());
    }

    [Fact]
    public async Task Revoking_confirmed_revokes_the_key_and_says_so()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var key = await CreateKeyAsync(Unique("revoke-me"));
        var (dialogs, page) = RenderWithDialogs<KeysPage>();

        ClickIn(page, key.Name, "revoke");
        dialogs.WaitForAssertion(() => Button(dialogs, "Revoke"));
        Button(dialogs, "Revoke").Click();

        page.WaitForAssertion(() => Assert.Equal("Revoked", KeyRow(page, key.Name)!.QuerySelector("[data-testid=key-status]")!.TextContent.Trim()));
        Assert.NotNull((await KeyAsync(key.Id)).RevokedAt);
        Assert.Null(KeyRow(page, key.Name)!.QuerySelector("[data-testid=revoke]"));
        Assert.Contains(Snackbars, s => s.Severity == Severity.Success && (s.Message ?? "").Contains($"{key.Prefix}… ('{key.Name}') revoked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Revoking_a_key_someone_else_revoked_meanwhile_is_answered_in_a_snackbar()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var key = await CreateKeyAsync(Unique("raced"));
        var (dialogs, page) = RenderWithDialogs<KeysPage>();
        page.WaitForAssertion(() => Assert.NotNull(KeyRow(page, key.Name)));
        var revoked = await App.App.WithScopeAsync(async sp => await sp.GetRequiredService<KeyService>().RevokeAsync(await ActorAsync("olivia.owner@acme.test"), key.Id));
        Assert.True(revoked.Succeeded, revoked.Error);

        ClickIn(page, key.Name, "revoke");
        dialogs.WaitForAssertion(() => Button(dialogs, "Revoke"));
        Button(dialogs, "Revoke").Click();

        page.WaitForAssertion(() => Assert.Contains(Snackbars, s => s.Severity == Severity.Error && (s.Message ?? "").Contains("already revoked", StringComparison.Ordinal)));
        page.WaitForAssertion(() => Assert.Equal("Revoked", KeyRow(page, key.Name)!.QuerySelector("[data-testid=key-status]")!.TextContent.Trim()));
    }

    [Fact]
    public async Task Key_limits_must_be_positive_and_say_so_next_to_the_field()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var key = await CreateKeyAsync(Unique("limits-bad"));
        var (dialogs, page) = RenderWithDialogs<KeysPage>();

        ClickIn(page, key.Name, "limits");
        InputOf(dialogs, "limit-rpm").Change("0");
        dialogs.Find("[data-testid=limits-save]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("A positive whole number, or empty for none.", FieldOf(dialogs, "limit-rpm").TextContent, StringComparison.Ordinal));
        Assert.Null((await KeyAsync(key.Id)).RequestsPerMinute);
        Assert.Empty(Snackbars);
    }

    [Fact]
    public async Task Key_limits_are_saved_and_shown_in_the_list()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var key = await CreateKeyAsync(Unique("limits-ok"));
        var (dialogs, page) = RenderWithDialogs<KeysPage>();

        ClickIn(page, key.Name, "limits");
        InputOf(dialogs, "limit-rpm").Change("60");
        InputOf(dialogs, "limit-tpm").Change("50000");
        dialogs.Find("[data-testid=limits-save]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=key-limits]")));
        var saved = await KeyAsync(key.Id);
        Assert.Equal((60, 50_000, (int?)null), (saved.RequestsPerMinute, saved.TokensPerMinute, saved.CallerCeilingCalls));
        page.WaitForAssertion(() => Assert.Contains("60 req/min · 50,000 tok/min", KeyRow(page, key.Name)!.TextContent, StringComparison.Ordinal));
        Assert.Contains(Snackbars, s => s.Severity == Severity.Success && (s.Message ?? "").Contains($"Limits of {key.Prefix}… saved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Key_limits_that_cannot_be_saved_are_answered_in_the_form_and_a_snackbar()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var key = await CreateKeyAsync(Unique("limits-gone"));
        var (dialogs, page) = RenderWithDialogs<KeysPage>();

        ClickIn(page, key.Name, "limits");
        InputOf(dialogs, "limit-rpm").Change("60");
        await using (var db = App.App.OpenDb())
            await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteDeleteAsync(); // gone while the dialog was open
        dialogs.Find("[data-testid=limits-save]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("No key matches.", dialogs.Find("[data-testid=limits-error]").TextContent, StringComparison.Ordinal));
        Assert.Contains(Snackbars, s => s.Severity == Severity.Error && (s.Message ?? "").Contains("No key matches.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_search_narrows_the_list_to_matching_keys()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var (_, page) = RenderWithDialogs<KeysPage>();
        page.WaitForAssertion(() => Assert.NotNull(KeyRow(page, "platform-prod")));

        InputOf(page, "key-search").Input("search-index");

        page.WaitForAssertion(() => Assert.Null(KeyRow(page, "platform-prod")));
        Assert.NotNull(KeyRow(page, "search-indexer"));
    }

    [Fact]
    public async Task A_member_sees_her_teams_keys_without_new_limits_or_revoke_buttons()
    {
        await SignInAsAsync("mia.member@acme.test");
        var (_, page) = RenderWithDialogs<KeysPage>();

        page.WaitForAssertion(() => Assert.NotNull(KeyRow(page, "platform-prod")));
        Assert.NotNull(KeyRow(page, "search-indexer"));
        Assert.Null(KeyRow(page, "sales-assistant"));
        Assert.Empty(page.FindAll("[data-testid=new-key-button]"));
        Assert.Empty(page.FindAll("[data-testid=limits]"));
        Assert.Empty(page.FindAll("[data-testid=revoke]"));
    }


    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static async Task OpenNewKeyAsync(IRenderedComponent<MudDialogProvider> dialogs, IRenderedComponent<KeysPage> page)
    {
        (await page.WaitForElementAsync("[data-testid=new-key-button]")).Click();
        await dialogs.WaitForElementAsync("[data-testid=create-key]");
    }

    /// <summary>Picks a team in the form's autocomplete as a click on its item would.</summary>
    private static async Task ChooseTeamAsync(IRenderedComponent<MudDialogProvider> dialogs, string path)
    {
        var form = dialogs.FindComponent<NewKeyForm>();
        var team = form.Instance.Teams.Single(n => n.Path == path);
        var autocomplete = dialogs.FindComponent<MudAutocomplete<TeamNode>>();
        await dialogs.InvokeAsync(() => autocomplete.Instance.SelectOptionAsync(team));
    }

    private static IElement? KeyRow(IRenderedComponent<KeysPage> page, string name) =>
        page.FindAll("[data-testid=keys-grid] tbody tr").FirstOrDefault(r => r.QuerySelector("td")?.TextContent.Trim() == name);

    private static void ClickIn(IRenderedComponent<KeysPage> page, string keyName, string testId)
    {
        page.WaitForAssertion(() => Assert.NotNull(KeyRow(page, keyName)?.QuerySelector($"[data-testid={testId}]")));
        KeyRow(page, keyName)!.QuerySelector($"[data-testid={testId}]")!.Click();
    }

    private static IElement Button(IRenderedComponent<MudDialogProvider> dialogs, string text) =>
        dialogs.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == text);

    private async Task<Actor> ActorAsync(string email)
    {
        var person = await App.PersonAsync(email);
        return new Actor(person.Id, person.DisplayName, person.Role);
    }

    private async Task<ApiKey> CreateKeyAsync(string name)
    {
        var actor = await ActorAsync("adam.admin@acme.test");
        await using var db = App.App.OpenDb();
        var research = await db.Teams.AsNoTracking().SingleAsync(t => t.Name == "Research");
        var created = await App.App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().CreateAsync(actor, research.Id, name, null));
        Assert.True(created.Succeeded, created.Error);
        return created.Value!.Key;
    }

    private async Task<Team> CreateTeamAsync(string name)
    {
        var actor = await ActorAsync("adam.admin@acme.test");
        var created = await App.App.WithScopeAsync(sp => sp.GetRequiredService<TeamDirectory>().CreateAsync(actor, name, null));
        Assert.True(created.Succeeded, created.Error);
        return created.Value!;
    }

    private async Task<ApiKey> KeyAsync(Guid id)
    {
        await using var db = App.App.OpenDb();
        return await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == id);
    }

    private async Task<int> KeyCountAsync()
    {
        await using var db = App.App.OpenDb();
        return await db.ApiKeys.CountAsync();
    }
}
