using System.Net;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Testing.Saml;
using ControlPlane.Tests.Auth.Sso;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Auth.Saml;

/// <summary>The SAML handler wired to SsoSignIn, as in production: the IdP's groups decide the role and the session.</summary>
public abstract class SamlSsoSignInTests(DatabaseProvider provider, SamlIdpFixture fixture) : IAsyncLifetime
{
    private TestDatabase _database = default!;
    private SamlNode _node = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(provider);
        _node = SamlNode.Start(_database, fixture.Idp, SsoMappings.Settings(), captureTickets: false);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        await _database.DisposeAsync();
    }

    [DatabaseFact]
    public async Task A_person_in_a_mapped_group_signs_in_through_saml_and_gets_the_role_and_a_session()
    {
        using var browser = new LoopbackBrowser();
        var (idpUrl, _, _) = await _node.StartSignInAsync(browser);
        var (acs, fields) = await SamlNode.SignInAtIdpAsync(browser, idpUrl, SimpleSamlIdp.Frank);

        using var response = await browser.PostFormAsync(acs, fields);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
        Assert.Contains("cp-session", browser.CookiesOf(_node.BaseUrl).Keys);
        await using (var db = new ControlPlaneDb(_database.ContextOptions()))
        {
            var frank = await db.Users.SingleAsync(u => u.Email == "frank@acme.test");
            Assert.Equal("FinanceAdmin", frank.Role);
            Assert.Equal("Frank Finance", frank.DisplayName);
        }
        using var home = await browser.GetAsync(_node.BaseUrl);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
    }

    [DatabaseFact]
    public async Task A_person_in_no_mapped_group_is_sent_back_to_sign_in_without_a_session()
    {
        using var browser = new LoopbackBrowser();
        var (idpUrl, _, _) = await _node.StartSignInAsync(browser);
        var (acs, fields) = await SamlNode.SignInAtIdpAsync(browser, idpUrl, SimpleSamlIdp.Nora);

        using var response = await browser.PostFormAsync(acs, fields);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/sign-in?failed=no-group", response.Headers.Location!.OriginalString);
        Assert.DoesNotContain("cp-session", browser.CookiesOf(_node.BaseUrl).Keys);
    }
}

public sealed class SamlSsoSignInTests_on_Sqlite(SamlIdpFixture fixture) : SamlSsoSignInTests(DatabaseProvider.Sqlite, fixture), IClassFixture<SamlIdpFixture>;

public sealed class SamlSsoSignInTests_on_Postgres(SamlIdpFixture fixture) : SamlSsoSignInTests(DatabaseProvider.Postgres, fixture), IClassFixture<SamlIdpFixture>;
