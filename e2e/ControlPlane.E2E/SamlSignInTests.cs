using System.Text.RegularExpressions;
using ControlPlane.Testing.Saml;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>
/// The app with the SAML provider "acme" pointed at a real SimpleSAMLphp IdP on loopback, and role mapping rules for
/// the IdP's groups. Started for this class only: the other journeys keep their plain app.
/// </summary>
public sealed class SamlAppFixture : IAsyncLifetime
{
    public const string Provider = "acme";
    public const string SpEntityId = "https://controlplane.e2e/saml/acme";

    public SimpleSamlIdp Idp { get; private set; } = default!;
    public RunningApp App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Idp = await SimpleSamlIdp.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            [$"Auth:Saml:{Provider}:DisplayName"] = "Acme SAML",
            [$"Auth:Saml:{Provider}:IdpMetadataUrl"] = Idp.MetadataUrl,
            [$"Auth:Saml:{Provider}:SpEntityId"] = SpEntityId,
            [$"Auth:Saml:{Provider}:EmailAttribute"] = "email",
            [$"Auth:Saml:{Provider}:NameAttribute"] = "displayName",
            ["Auth:RoleMappings:Rules:0:Group"] = "cp-admins",
            ["Auth:RoleMappings:Rules:0:Role"] = "Admin",
            ["Auth:RoleMappings:Rules:1:Group"] = "cp-finance",
            ["Auth:RoleMappings:Rules:1:Role"] = "FinanceAdmin",
        };
        App = new RunningApp { SettingsFor = _ => Task.FromResult<IReadOnlyDictionary<string, string?>>(settings) };
        await App.InitializeAsync();
        Idp.TrustServiceProvider(SpEntityId, new Uri(App.BaseUrl, $"/saml/{Provider}/acs").AbsoluteUri);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Idp.DisposeAsync();
    }
}

/// <summary>Signing in through the SAML IdP in Chromium: the IdP's groups decide the role people land with.</summary>
public sealed class SamlSignInTests(SamlAppFixture saml, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<SamlAppFixture>, IClassFixture<BrowserFixture>
{
    [Theory]
    [InlineData("alice", "Alice Admin", "Admin")]
    [InlineData("frank", "Frank Finance", "FinanceAdmin")]
    public async Task A_person_signs_in_through_the_saml_idp_lands_with_the_role_their_groups_give_and_signs_out(string user, string name, string role)
    {
        await using var s = await BrowserSession.StartAsync(browser, saml.App, output);
        var page = s.Page;

        await SignInAtIdpAsync(page, user == SimpleSamlIdp.Alice.UserName ? SimpleSamlIdp.Alice : SimpleSamlIdp.Frank, "/wallets");

        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(saml.App.BaseUrl.ToString().TrimEnd('/')) + "/wallets$"));
        await s.WaitForInteractiveAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync($"{name} · {role}");
        await s.ScreenshotAsync($"saml-signed-in-{user}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/sign-in(\?|$)"));
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex(@"/sign-in(\?|$)"));
    }

    [Fact]
    public async Task A_person_whose_groups_give_no_role_is_sent_back_to_sign_in()
    {
        await using var s = await BrowserSession.StartAsync(browser, saml.App, output);
        var page = s.Page;

        await SignInAtIdpAsync(page, SimpleSamlIdp.Nora, "/");

        await Expect(page).ToHaveURLAsync(new Regex(@"/sign-in\?failed=no-group$"));
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex(@"/sign-in(\?|$)"));
    }

    /// <summary>Starts at our SP-initiated sign-in, fills SimpleSAMLphp's login form; its page posts the Response back.</summary>
    private static async Task SignInAtIdpAsync(IPage page, SamlTestUser user, string returnUrl)
    {
        await page.GotoAsync($"/saml/{SamlAppFixture.Provider}/sign-in?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.Locator("input[name=username]").FillAsync(user.UserName);
        await page.Locator("input[name=password]").FillAsync(user.Password);
        await page.Locator("input[name=password]").PressAsync("Enter");
    }
}
