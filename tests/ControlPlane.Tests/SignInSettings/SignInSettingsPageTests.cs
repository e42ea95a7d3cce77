using AngleSharp.Dom;
using Bunit;
using ControlPlane.Features.People.Scim;
using ControlPlane.Features.SignInSettings;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Components;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.SignInSettings;

/// <summary>The Sign-in settings page on the real app's services, with an OIDC and a SAML provider configured.</summary>
public sealed class SignInSettingsPageTests(SignInSettingsApp app) : DashboardContext(app), IClassFixture<SignInSettingsApp>
{
    private static IElement Button(IRenderedComponent<MudDialogProvider> dialogs, string text) =>
        dialogs.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == text);

    private static IElement PreviewInputOf(IRenderedComponent<SignInSettingsPage> page)
    {
        var marked = page.Find("[data-testid=preview-input]");
        return marked.LocalName == "textarea" ? marked : marked.QuerySelector("textarea")!;
    }

    private async Task<IRenderedComponent<MudDialogProvider>> OwnerPageAsync(Action<IRenderedComponent<SignInSettingsPage>>? use = null)
    {
        await SignInAsAsync(DemoOrg.Olivia);
        var (dialogs, page) = RenderWithDialogs<SignInSettingsPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=provider-card]").Count));
        use?.Invoke(page);
        return dialogs;
    }

    [Fact]
    public async Task An_Owner_sees_each_provider_with_its_secret_masked_and_the_urls_to_give_its_administrator()
    {
        await OwnerPageAsync(page =>
        {
            Assert.DoesNotContain(SignInSettingsApp.OktaSecret, page.Markup, StringComparison.Ordinal);
            var okta = page.Find("[data-provider=okta]");
            Assert.Contains("Auth:Oidc:okta:ClientSecret", okta.TextContent, StringComparison.Ordinal);
            Assert.Contains(ConfiguredProviders.Mask, okta.TextContent, StringComparison.Ordinal);
            Assert.EndsWith("/signin-oidc-okta", okta.QuerySelector("[data-testid=callback-url]")!.TextContent.Trim(), StringComparison.Ordinal);
            Assert.Equal("/sign-in/okta?returnUrl=%2Fsettings%2Fsign-in", okta.QuerySelector("[data-testid=test-sign-in]")!.GetAttribute("href"));
            var adfs = page.Find("[data-provider=adfs]");
            Assert.EndsWith("/saml/adfs/acs", adfs.QuerySelector("[data-testid=acs-url]")!.TextContent.Trim(), StringComparison.Ordinal);
            Assert.EndsWith("/saml/adfs/metadata", adfs.QuerySelector("[data-testid=metadata-url]")!.TextContent.Trim(), StringComparison.Ordinal);
            var rules = page.Find("[data-testid=mapping-rules]").TextContent;
            Assert.Contains("cp-platform-leads", rules, StringComparison.Ordinal);
            Assert.Contains("Platform (Lead)", rules, StringComparison.Ordinal);
            Assert.Empty(page.FindAll("[data-testid=nothing-configured]"));
        });
    }

    [Fact]
    public async Task The_preview_reads_the_providers_groups_claim_and_shows_role_teams_and_reasons()
    {
        await OwnerPageAsync(page =>
        {
            PreviewInputOf(page).Change("""{"sub": "1", "email": "x@acme.test", "cp_groups": ["cp-admins", "cp-platform-leads", "cp-auditors"]}""");
            page.Find("[data-testid=preview-run]").Click();

            page.WaitForAssertion(() => Assert.Equal("Role: Admin", page.Find("[data-testid=preview-role]").TextContent.Trim()));
            Assert.Contains("Platform (Lead)", page.Find("[data-testid=preview-teams]").TextContent, StringComparison.Ordinal);
            var reasons = page.Find("[data-testid=preview-reasons]").TextContent;
            Assert.Contains("group 'cp-admins' → Admin", reasons, StringComparison.Ordinal);
            // The Auditor rule is for adfs only: okta's sign-ins do not get it.
            Assert.DoesNotContain("cp-auditors", reasons, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task The_preview_says_plainly_when_the_pasted_claim_set_is_not_json()
    {
        await OwnerPageAsync(page =>
        {
            PreviewInputOf(page).Change("{\"cp_groups\": [\"cp-admins\"");
            page.Find("[data-testid=preview-run]").Click();

            page.WaitForAssertion(() => Assert.Contains("This is not valid JSON", page.Markup, StringComparison.Ordinal));
            Assert.Empty(page.FindAll("[data-testid=preview-result]"));
        });
    }

    [Fact]
    public async Task A_new_scim_token_is_shown_once_and_only_its_hash_is_stored()
    {
        IRenderedComponent<SignInSettingsPage> shown = default!;
        var dialogs = await OwnerPageAsync(page => shown = page);
        shown.Find("[data-testid=new-scim-token-okta]").Click();

        dialogs.WaitForAssertion(() => Assert.NotEmpty(dialogs.FindAll("[data-testid=new-scim-token-secret]")));
        var plaintext = dialogs.Find("[data-testid=new-scim-token-secret]").TextContent.Trim();
        Assert.StartsWith(ScimTokens.PlaintextStart, plaintext, StringComparison.Ordinal);
        var hash = ScimTokens.HashOf(plaintext);
        await using (var db = App.App.OpenDb())
        {
            var stored = await db.Set<ScimToken>().AsNoTracking().SingleAsync(t => t.Hash == hash);
            Assert.Equal("okta", stored.Provider);
            Assert.Null(stored.RevokedAt);
            shown.WaitForAssertion(() => Assert.NotNull(shown.Find($"[data-testid=scim-token-row][data-prefix='{stored.Prefix}']")));
        }
        Assert.Contains(Snackbars, s => s.Severity == Severity.Success && s.Message!.Contains("created for 'okta'", StringComparison.Ordinal));

        Button(dialogs, "I have stored it").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=new-scim-token-secret]")));
        Assert.DoesNotContain(plaintext, shown.Markup + dialogs.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_Owner_revokes_a_scim_token_after_confirming()
    {
        var created = await App.App.WithScopeAsync(async sp => (await sp.GetRequiredService<ScimTokens>().CreateAsync(Actor.CommandLine, "adfs")).Value!.Token);
        IRenderedComponent<SignInSettingsPage> page = default!;
        var dialogs = await OwnerPageAsync(p => page = p);
        IElement Row() => page.Find($"[data-testid=scim-token-row][data-prefix='{created.Prefix}']");
        page.WaitForAssertion(() => Assert.NotNull(Row()));

        Row().QuerySelector("[data-testid=revoke-scim-token]")!.Click();
        dialogs.WaitForAssertion(() => Button(dialogs, "Keep"));
        Button(dialogs, "Keep").Click();
        await using (var db = App.App.OpenDb())
            Assert.Null((await db.Set<ScimToken>().AsNoTracking().SingleAsync(t => t.Id == created.Id)).RevokedAt);

        Row().QuerySelector("[data-testid=revoke-scim-token]")!.Click();
        dialogs.WaitForAssertion(() => Button(dialogs, "Revoke"));
        Button(dialogs, "Revoke").Click();

        page.WaitForAssertion(() => Assert.Contains(Snackbars, s => s.Severity == Severity.Success && s.Message!.Contains($"{created.Prefix}… revoked", StringComparison.Ordinal)));
        await using (var db = App.App.OpenDb())
            Assert.NotNull((await db.Set<ScimToken>().AsNoTracking().SingleAsync(t => t.Id == created.Id)).RevokedAt);
        page.WaitForAssertion(() => Assert.Null(Row().QuerySelector("[data-testid=revoke-scim-token]")));
    }

    [Fact]
    public async Task An_Admin_is_refused_by_the_policy_and_shown_nothing_even_if_the_page_is_rendered()
    {
        await SignInAsAsync(DemoOrg.Adam);
        var user = (await Services.GetRequiredService<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider>().GetAuthenticationStateAsync()).User;
        var allowed = await Services.GetRequiredService<IAuthorizationService>().AuthorizeAsync(user, Policies.SignInSettings);
        Assert.False(allowed.Succeeded);

        var (_, page) = RenderWithDialogs<SignInSettingsPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=owner-only]")));
        Assert.Empty(page.FindAll("[data-testid=provider-card]"));
        Assert.Empty(page.FindAll("[data-testid=scim-tokens]"));
    }
}
