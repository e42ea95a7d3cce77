using Bunit;
using ControlPlane.Features.SignInSettings;
using ControlPlane.Tests.Components;
using ControlPlane.Tests.Teams;

namespace ControlPlane.Tests.SignInSettings;

/// <summary>The Sign-in settings page on an app with no identity provider configured.</summary>
public sealed class SignInSettingsUnconfiguredTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task With_no_provider_the_page_names_the_settings_to_configure()
    {
        await SignInAsAsync(DemoOrg.Olivia);
        var (_, page) = RenderWithDialogs<SignInSettingsPage>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=nothing-configured]")));
        var text = page.Find("[data-testid=nothing-configured]").TextContent;
        Assert.Contains("Auth:Oidc:{name}:Authority", text, StringComparison.Ordinal);
        Assert.Contains("Auth:Saml:{name}:IdpMetadataUrl", text, StringComparison.Ordinal);
        Assert.Contains("Auth:RoleMappings:Rules:{n}:Group", text, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=provider-card]"));
        Assert.Empty(page.FindAll("[data-testid=scim-tokens]"));
    }
}
