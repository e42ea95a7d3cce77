using System.Net;
using System.Text;
using ControlPlane.Infrastructure.Auth.Saml;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Testing.Saml;
using ControlPlane.Tests.Infrastructure;

namespace ControlPlane.Tests.Auth.Saml;

/// <summary>Sign-in through the real SimpleSAMLphp IdP, and what happens to its genuine Responses when misused.</summary>
public abstract class SamlSignInTests(DatabaseProvider provider, SamlIdpFixture fixture) : IAsyncLifetime
{
    private TestDatabase _database = default!;
    private SamlNode _node = default!;
    private SimpleSamlIdp Idp => fixture.Idp;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(provider);
        _node = SamlNode.Start(_database, Idp);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        await _database.DisposeAsync();
    }

    [DatabaseFact]
    public async Task A_person_signs_in_through_the_idp_and_the_ticket_carries_their_subject_email_name_and_groups()
    {
        using var browser = new LoopbackBrowser();
        var (idpUrl, _, _) = await _node.StartSignInAsync(browser);
        var (acs, fields) = await SamlNode.SignInAtIdpAsync(browser, idpUrl, SimpleSamlIdp.Alice);
        Assert.Equal(_node.AcsUrl, acs);

        using var response = await browser.PostFormAsync(acs, fields);

        Assert.Equal(SamlNode.TicketReceived, await response.Content.ReadAsStringAsync());
        var principal = Assert.Single(_node.Tickets);
        Assert.Equal("alice", principal.FindFirst("sub")!.Value);
        Assert.Equal("alice@acme.test", principal.FindFirst("email")!.Value);
        Assert.Equal("Alice Admin", principal.FindFirst("name")!.Value);
        Assert.Equal(["cp-admins", "engineering"], principal.FindAll("groups").Select(c => c.Value).Order());
        Assert.Equal(SamlOptions.SchemeFor(SamlNode.Provider), principal.Identity!.AuthenticationType);
    }

    [DatabaseFact]
    public async Task People_in_different_groups_get_their_own_groups()
    {
        using var browser = new LoopbackBrowser();
        var (idpUrl, _, _) = await _node.StartSignInAsync(browser);
        var (acs, fields) = await SamlNode.SignInAtIdpAsync(browser, idpUrl, SimpleSamlIdp.Frank);

        using var response = await browser.PostFormAsync(acs, fields);

        Assert.Equal(SamlNode.TicketReceived, await response.Content.ReadAsStringAsync());
        var principal = Assert.Single(_node.Tickets);
        Assert.Equal("frank", principal.FindFirst("sub")!.Value);
        Assert.Equal(["cp-finance"], principal.FindAll("groups").Select(c => c.Value));
    }

    [DatabaseFact]
    public async Task An_assertion_altered_after_the_idp_signed_it_is_refused()
    {
        using var browser = new LoopbackBrowser();
        var (idpUrl, _, _) = await _node.StartSignInAsync(browser);
        var (acs, fields) = await SamlNode.SignInAtIdpAsync(browser, idpUrl, SimpleSamlIdp.Frank);
        var xml = Encoding.UTF8.GetString(Convert.FromBase64String(fields["SAMLResponse"]));
        Assert.Contains(">cp-finance<", xml, StringComparison.Ordinal);
        fields["SAMLResponse"] = SamlResponseBuilder.Encode(xml.Replace(">cp-finance<", ">cp-admins<", StringComparison.Ordinal));

        using var response = await browser.PostFormAsync(acs, fields);

        await AssertRefusedAsync(_node, browser, response, SamlRefusal.SignatureInvalid);
    }

    [DatabaseFact]
    public async Task An_assertion_replayed_to_another_node_sharing_the_database_is_refused()
    {
        await using var otherNode = SamlNode.Start(_database, Idp);
        using var browser = new LoopbackBrowser();
        var (idpUrl, _, _) = await _node.StartSignInAsync(browser);
        var (acs, fields) = await SamlNode.SignInAtIdpAsync(browser, idpUrl, SimpleSamlIdp.Alice);
        // The attacker keeps what the browser sent (cookies included) and sends it again, to the other node.
        var cookies = browser.CookiesOf(acs).ToDictionary();

        using (var first = await browser.PostFormAsync(acs, fields))
            Assert.Equal(SamlNode.TicketReceived, await first.Content.ReadAsStringAsync());

        using var attacker = new LoopbackBrowser();
        foreach (var (name, value) in cookies) attacker.SetCookie(otherNode.AcsUrl, name, value);
        // Both nodes stand behind one public address (as behind a load balancer): the Host header says which.
        using var response = await attacker.PostFormAsync(otherNode.AcsUrl, fields, host: acs.Authority);

        await AssertRefusedAsync(otherNode, attacker, response, SamlRefusal.Replayed);
    }

    [DatabaseFact]
    public async Task Sp_metadata_names_our_entity_id_acs_and_name_id_formats()
    {
        using var browser = new LoopbackBrowser();
        using var response = await browser.GetAsync(new Uri(_node.BaseUrl, SamlOptions.MetadataPathFor(SamlNode.Provider)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metadata = System.Xml.Linq.XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(SamlNode.SpEntityId, metadata.Attribute("entityID")!.Value);
        var md = System.Xml.Linq.XNamespace.Get(SamlXml.Metadata);
        Assert.Equal(_node.AcsUrl.AbsoluteUri, metadata.Descendants(md + "AssertionConsumerService").Single().Attribute("Location")!.Value);
        Assert.Contains("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", metadata.Descendants(md + "NameIDFormat").Select(e => e.Value));
    }

    internal static async Task AssertRefusedAsync(SamlNode node, LoopbackBrowser browser, HttpResponseMessage response, SamlRefusal refusal)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/sign-in?failed=", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.NotEqual(SamlNode.TicketReceived, await response.Content.ReadAsStringAsync());
        Assert.Empty(node.Tickets);
        Assert.DoesNotContain("cp-session", browser.CookiesOf(node.BaseUrl).Keys);
        Assert.True(node.Refusal(refusal) is not null, $"No {refusal} refusal was logged:\n{string.Join('\n', node.Logs.Lines)}");
    }
}

public sealed class SamlSignInTests_on_Sqlite(SamlIdpFixture fixture) : SamlSignInTests(DatabaseProvider.Sqlite, fixture), IClassFixture<SamlIdpFixture>;

public sealed class SamlSignInTests_on_Postgres(SamlIdpFixture fixture) : SamlSignInTests(DatabaseProvider.Postgres, fixture), IClassFixture<SamlIdpFixture>;
