using System.Xml.Linq;
using ControlPlane.Infrastructure.Auth.Saml;
using ControlPlane.Tests.Infrastructure;

namespace ControlPlane.Tests.Auth.Saml;

/// <summary>The AuthnRequest, the IdP metadata reader, the SP metadata and the settings check, each on its own.</summary>
public sealed class SamlProtocolPiecesTests
{
    private static readonly DateTimeOffset Instant = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void An_authn_request_travels_deflated_in_the_query_and_names_our_issuer_acs_and_its_id()
    {
        var xml = SamlAuthnRequest.Build("id42", Instant, new Uri("https://idp.test/sso?tenant=a"), "https://cp.test/sp", "https://cp.test/saml/x/acs");
        var url = new Uri(SamlAuthnRequest.RedirectUrl(new Uri("https://idp.test/sso?tenant=a"), xml, "relay"));

        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        Assert.Equal("a", query["tenant"]);
        Assert.Equal("relay", query["RelayState"]);
        var request = XElement.Parse(SamlAuthnRequest.Decode(query["SAMLRequest"]!));
        Assert.Equal("id42", request.Attribute("ID")!.Value);
        Assert.Equal("https://cp.test/saml/x/acs", request.Attribute("AssertionConsumerServiceURL")!.Value);
        Assert.Equal("2030-01-02T03:04:05.000Z", request.Attribute("IssueInstant")!.Value);
        Assert.Equal("https://cp.test/sp", request.Element(XName.Get("Issuer", SamlXml.Assertion))!.Value);
    }

    [Fact]
    public void Request_ids_are_fresh_ncnames()
    {
        var a = SamlAuthnRequest.NewId();
        Assert.Matches("^id[0-9a-f]{32}$", a);
        Assert.NotEqual(a, SamlAuthnRequest.NewId());
    }

    [Fact]
    public void Idp_metadata_gives_the_entity_the_redirect_sso_url_and_only_the_signing_certificates()
    {
        using var signing = SamlResponseValidatorTests.NewKey("CN=signing");
        using var encryption = SamlResponseValidatorTests.NewKey("CN=encryption");
        var metadata = SamlIdpMetadata.Parse(IdpMetadata(("signing", signing), ("encryption", encryption)));

        Assert.Equal("https://idp.test/entity", metadata.EntityId);
        Assert.Equal(new Uri("https://idp.test/sso"), metadata.SingleSignOnUrl);
        Assert.Equal(signing.Thumbprint, Assert.Single(metadata.SigningCertificates).Thumbprint);
    }

    [Fact]
    public void Idp_metadata_with_a_dtd_is_refused()
    {
        using var signing = SamlResponseValidatorTests.NewKey("CN=signing");
        var xml = "<!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>" + IdpMetadata(("signing", signing));

        var refused = Assert.Throws<FormatException>(() => SamlIdpMetadata.Parse(xml));
        Assert.Contains("DTD", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Idp_metadata_without_a_signing_certificate_is_refused()
    {
        using var encryption = SamlResponseValidatorTests.NewKey("CN=encryption");
        Assert.Throws<FormatException>(() => SamlIdpMetadata.Parse(IdpMetadata(("encryption", encryption))));
    }

    [Fact]
    public void Sp_metadata_names_the_entity_and_the_post_acs()
    {
        var metadata = XElement.Parse(SamlSpMetadata.Build("https://cp.test/sp", "https://cp.test/saml/x/acs"));

        Assert.Equal("https://cp.test/sp", metadata.Attribute("entityID")!.Value);
        var acs = metadata.Descendants(XName.Get("AssertionConsumerService", SamlXml.Metadata)).Single();
        Assert.Equal(SamlXml.PostBinding, acs.Attribute("Binding")!.Value);
        Assert.Equal("https://cp.test/saml/x/acs", acs.Attribute("Location")!.Value);
    }

    [Fact]
    public async Task The_app_refuses_to_start_with_a_saml_provider_missing_its_settings_and_names_them()
    {
        await using var database = TestDatabase.CreateSqlite();
        await using var app = new AppFactory(database, seedDemoData: false, settings: new Dictionary<string, string?>
        {
            ["Auth:Saml:broken:DisplayName"] = "Broken",
        });

        var failure = Assert.ThrowsAny<Exception>(() => app.Services);

        Assert.Contains("Auth:Saml:broken:SpEntityId", failure.ToString(), StringComparison.Ordinal);
        Assert.Contains("IdpMetadataUrl and IdpMetadataFile", failure.ToString(), StringComparison.Ordinal);
    }

    private static string IdpMetadata(params (string Use, System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate)[] keys) => $"""
        <md:EntityDescriptor xmlns:md="{SamlXml.Metadata}" xmlns:ds="{SamlXml.DSig}" entityID="https://idp.test/entity">
          <md:IDPSSODescriptor protocolSupportEnumeration="{SamlXml.Protocol}">
            {string.Concat(keys.Select(k => $"<md:KeyDescriptor use=\"{k.Use}\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{Convert.ToBase64String(k.Certificate.RawData)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"))}
            <md:SingleSignOnService Binding="{SamlXml.PostBinding}" Location="https://idp.test/sso-post"/>
            <md:SingleSignOnService Binding="{SamlXml.RedirectBinding}" Location="https://idp.test/sso"/>
          </md:IDPSSODescriptor>
        </md:EntityDescriptor>
        """;
}
