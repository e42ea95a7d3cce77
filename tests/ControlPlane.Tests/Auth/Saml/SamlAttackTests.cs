using System.Xml;
using ControlPlane.Infrastructure.Auth.Saml;
using ControlPlane.Tests.Infrastructure;

namespace ControlPlane.Tests.Auth.Saml;

/// <summary>
/// Crafted Responses, signed with the test IdP's own key through SignedXml, posted to the ACS of a real app node for a
/// real pending request: the control case is accepted, and each attack is refused with its reason logged and no session.
/// </summary>
public sealed class SamlAttackTests(SamlIdpFixture fixture) : IClassFixture<SamlIdpFixture>, IAsyncLifetime
{
    private static readonly System.Security.Cryptography.X509Certificates.X509Certificate2 StrangerKey = SamlResponseValidatorTests.NewKey("CN=stranger");

    private TestDatabase _database = default!;
    private SamlNode _node = default!;
    private readonly LoopbackBrowser _browser = new();
    private string _requestId = "";
    private string _relayState = "";

    public async Task InitializeAsync()
    {
        _database = TestDatabase.CreateSqlite();
        _node = SamlNode.Start(_database, fixture.Idp);
        (_, _requestId, _relayState) = await _node.StartSignInAsync(_browser);
    }

    public async Task DisposeAsync()
    {
        _browser.Dispose();
        await _node.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_crafted_response_signed_with_the_idp_key_for_our_request_is_accepted()
    {
        using var response = await PostAsync(SignedAssertion(Builder()));

        Assert.Equal(SamlNode.TicketReceived, await response.Content.ReadAsStringAsync());
        Assert.Equal("crafted-user", Assert.Single(_node.Tickets).FindFirst("sub")!.Value);
    }

    [Fact]
    public async Task A_wrapped_second_assertion_is_refused()
    {
        var document = SignedAssertion(Builder());
        var genuine = SamlResponseBuilder.AssertionOf(document);
        var forged = (XmlElement)genuine.CloneNode(deep: true);
        forged.SetAttribute("ID", "_forged");
        forged.GetElementsByTagName("AttributeValue", SamlXml.Assertion).OfType<XmlElement>().Last().InnerText = "cp-owners";
        // The genuine, signed assertion moves into an Extensions element; the forged one takes its place.
        var extensions = document.CreateElement("samlp", "Extensions", SamlXml.Protocol);
        document.DocumentElement!.ReplaceChild(forged, genuine);
        document.DocumentElement.InsertBefore(extensions, forged);
        extensions.AppendChild(genuine);

        await AssertRefusedAsync(document, SamlRefusal.NotExactlyOneAssertion);
    }

    [Fact]
    public async Task An_unsigned_assertion_in_a_signed_response_whose_signature_does_not_cover_it_is_refused()
    {
        var document = Builder().Build();
        var extensions = document.CreateElement("samlp", "Extensions", SamlXml.Protocol);
        extensions.SetAttribute("ID", "_signed-part");
        document.DocumentElement!.InsertAfter(extensions, SamlXml.Child(document.DocumentElement, SamlXml.Assertion, "Issuer"));
        SamlResponseBuilder.Sign(document.DocumentElement, fixture.Idp.SigningCertificate, referenceId: "_signed-part");

        await AssertRefusedAsync(document, SamlRefusal.SignatureNotCoveringElement);
    }

    [Fact]
    public async Task An_assertion_for_another_audience_is_refused()
    {
        await AssertRefusedAsync(SignedAssertion(Builder() with { Audience = "https://another-sp.test" }), SamlRefusal.WrongAudience);
    }

    [Fact]
    public async Task An_expired_assertion_is_refused()
    {
        await AssertRefusedAsync(SignedAssertion(Builder() with { Now = TimeProvider.System.GetUtcNow() - TimeSpan.FromHours(1) }), SamlRefusal.Expired);
    }

    [Fact]
    public async Task A_response_to_another_request_is_refused()
    {
        await AssertRefusedAsync(SignedAssertion(Builder() with { InResponseTo = SamlAuthnRequest.NewId() }), SamlRefusal.WrongInResponseTo);
    }

    [Fact]
    public async Task An_idp_initiated_response_is_refused_while_allow_idp_initiated_is_off()
    {
        using var response = await _node.PostToAcsAsync(_browser, SamlResponseBuilder.Encode(SignedAssertion(Builder() with { InResponseTo = null })), relayState: null);

        await SamlSignInTests.AssertRefusedAsync(_node, _browser, response, SamlRefusal.UnsolicitedNotAllowed);
    }

    [Fact]
    public async Task A_response_with_a_dtd_and_an_external_entity_is_refused()
    {
        var xml = SignedAssertion(Builder()).OuterXml;
        var withEntity = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + xml.Replace("crafted-user", "&x;", StringComparison.Ordinal);

        using var response = await _node.PostToAcsAsync(_browser, SamlResponseBuilder.Encode(withEntity), _relayState);

        await SamlSignInTests.AssertRefusedAsync(_node, _browser, response, SamlRefusal.DtdOrEntity);
    }

    [Fact]
    public async Task A_response_signed_by_a_key_not_in_the_idp_metadata_is_refused()
    {
        var document = Builder().Build();
        SamlResponseBuilder.Sign(SamlResponseBuilder.AssertionOf(document), StrangerKey);

        await AssertRefusedAsync(document, SamlRefusal.UntrustedKey);
    }

    [Fact]
    public async Task A_response_signed_with_sha1_is_refused()
    {
        var document = Builder().Build();
        SamlResponseBuilder.Sign(SamlResponseBuilder.AssertionOf(document), fixture.Idp.SigningCertificate,
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1");

        await AssertRefusedAsync(document, SamlRefusal.DisallowedAlgorithm);
    }

    private SamlResponseBuilder Builder() => new()
    {
        Issuer = fixture.Idp.EntityId,
        Destination = _node.AcsUrl.AbsoluteUri,
        Audience = SamlNode.SpEntityId,
        // The app reads the system clock: the crafted times follow it.
        Now = TimeProvider.System.GetUtcNow(),
        InResponseTo = _requestId,
    };

    private XmlDocument SignedAssertion(SamlResponseBuilder builder)
    {
        var document = builder.Build();
        SamlResponseBuilder.Sign(SamlResponseBuilder.AssertionOf(document), fixture.Idp.SigningCertificate);
        return document;
    }

    private Task<HttpResponseMessage> PostAsync(XmlDocument document) => _node.PostToAcsAsync(_browser, SamlResponseBuilder.Encode(document), _relayState);

    private async Task AssertRefusedAsync(XmlDocument document, SamlRefusal refusal)
    {
        using var response = await PostAsync(document);
        await SamlSignInTests.AssertRefusedAsync(_node, _browser, response, refusal);
    }
}
