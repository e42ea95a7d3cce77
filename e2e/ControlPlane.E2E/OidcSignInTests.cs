using System.Text.RegularExpressions;
using ControlPlane.IdentityProviders;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>
/// The app configured with one OIDC provider, "corp", which is a real node oidc-provider on 127.0.0.1; dev sign-in off.
/// </summary>
public sealed class OidcApp : IAsyncLifetime
{
    public const string Name = "corp";
    public const string DisplayName = "Corp Identity";

    public RunningApp App { get; private set; } = default!;
    public OidcIdentityProvider Provider { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        App = new RunningApp
        {
            SettingsFor = async baseUrl =>
            {
                Provider = await OidcIdentityProvider.StartAsync(baseUrl, Name);
                var settings = OidcIdentityProvider.RoleMappings();
                foreach (var (key, value) in Provider.AppSettings(Name, DisplayName)) settings[key] = value;
                settings["Auth:DevSignIn"] = "false";
                return settings;
            },
        };
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        if (Provider is not null) await Provider.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class OidcFixtures : ICollectionFixture<OidcApp>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "Running app with an OIDC provider in Chromium";
}

/// <summary>People sign in through the identity provider, land with the role their groups give, and sign out there too.</summary>
[Collection(OidcFixtures.Name)]
public sealed class OidcSignInTests(OidcApp oidc, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task An_admin_and_a_finance_person_sign_in_through_the_provider_and_see_what_their_groups_allow()
    {
        await using (var s = await StartAsync())
        {
            await SignInThroughProviderAsync(s, "ada", "Ada Admin · Admin");
            await Expect(AdminFlowTests.Nav(s.Page, "Providers")).ToBeVisibleAsync();
            await Expect(AdminFlowTests.Nav(s.Page, "Audit")).ToBeVisibleAsync();
            s.AssertNoBrowserErrors();
        }

        await using (var s = await StartAsync())
        {
            await SignInThroughProviderAsync(s, "fern", "Fern Finance · FinanceAdmin");
            await Expect(AdminFlowTests.Nav(s.Page, "Prices")).ToBeVisibleAsync();
            await Expect(AdminFlowTests.Nav(s.Page, "Providers")).ToHaveCountAsync(0);
            await Expect(AdminFlowTests.Nav(s.Page, "Audit")).ToHaveCountAsync(0);
            await s.GoToAsync("/providers");
            await Expect(s.Page.GetByText("Your role does not give you access")).ToBeVisibleAsync();
            s.AssertNoBrowserErrors();
        }
    }

    [Fact]
    public async Task Sign_out_ends_the_session_at_the_provider_too_and_comes_back_to_the_sign_in_page()
    {
        await using var s = await StartAsync();
        await SignInThroughProviderAsync(s, "ada", "Ada Admin · Admin");

        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        // Through the provider's end_session_endpoint and back: our sign-in page, with its provider button.
        await Expect(s.Page).ToHaveURLAsync(new Regex("^" + Regex.Escape(oidc.App.BaseUrl.ToString().TrimEnd('/')) + "/sign-in$"));
        await Expect(s.Page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {OidcApp.DisplayName}" })).ToBeVisibleAsync();
        await s.Page.GotoAsync("/keys");
        await Expect(s.Page).ToHaveURLAsync(new Regex(@"/sign-in\?returnUrl="));
        // The provider forgot her as well: signing in again asks for the login.
        await s.Page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {OidcApp.DisplayName}" }).ClickAsync();
        await Expect(s.Page.Locator("input[name=login]")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Someone_in_no_mapped_group_is_told_why_on_the_sign_in_page()
    {
        await using var s = await StartAsync();
        await s.Page.GotoAsync("/");
        await s.Page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {OidcApp.DisplayName}" }).ClickAsync();
        await LogInAtProviderAsync(s.Page, "nobody");

        await Expect(s.Page).ToHaveURLAsync(new Regex(@"/sign-in\?failed=no-group$"));
        await Expect(s.Page.GetByTestId("sign-in-failure")).ToContainTextAsync("None of your groups gives access");
    }

    private async Task<BrowserSession> StartAsync([System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var s = await BrowserSession.StartAsync(browser, oidc.App, output, test);
        // The app and the provider are both on 127.0.0.1: anything else is refused, and shows as a browser error.
        await s.Page.Context.RouteAsync(url => !new Uri(url).IsLoopback, route => route.AbortAsync());
        return s;
    }

    private async Task SignInThroughProviderAsync(BrowserSession s, string login, string signedInAs)
    {
        await s.Page.GotoAsync("/wallets");
        await Expect(s.Page).ToHaveURLAsync(new Regex(@"/sign-in\?returnUrl="));
        await s.Page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {OidcApp.DisplayName}" }).ClickAsync();
        await LogInAtProviderAsync(s.Page, login);
        await Expect(s.Page).ToHaveURLAsync(new Regex("^" + Regex.Escape(oidc.App.BaseUrl.ToString().TrimEnd('/')) + "/wallets$"));
        await s.WaitForInteractiveAsync();
        await Expect(s.Page.GetByTestId("signed-in-as")).ToContainTextAsync(signedInAs);
    }

    private async Task LogInAtProviderAsync(IPage page, string login)
    {
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(oidc.Provider.Issuer.ToString().TrimEnd('/')) + "/interaction/"));
        await page.Locator("input[name=login]").FillAsync(login);
        await page.Locator("input[name=password]").FillAsync("any");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign-in" }).ClickAsync();
    }
}
