using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;
using ControlPlane.Infrastructure.Auth.Saml;

namespace ControlPlane.Tests.Auth.Saml;

/// <summary>The validator on crafted Responses at a fixed instant: each case changes one thing from an accepted Response.</summary>
public sealed class SamlResponseValidatorTests
{
    private const string Idp = "https://idp.test/metadata";
    private const string Sp = "https://cp.test/saml";
    private const string Acs = "https://cp.test/saml/acme/acs";
    private const string RequestId = "id0123456789abcdef";
    private static readonly DateTimeOffset Now = new(2030, 5, 6, 7, 8, 9, TimeSpan.Zero);

    // Made once for the class: RSA key generation is the slow part of these tests.
    private static readonly X509Certificate2 _idpKey = NewKey("CN=idp");
    private static readonly X509Certificate2 _otherKey = NewKey("CN=other");

    [Fact]
    public void A_signed_assertion_answering_our_request_is_accepted_with_its_attributes()
    {
        var response = Builder().Build();
        SamlResponseBuilder.Sign(SamlResponseBuilder.AssertionOf(response), _idpKey);

        var assertion = Validate(response);

        Assert.Equal("crafted-user", assertion.NameId);
        Assert.Equal(["crafted@acme.test"], assertion.Attributes["email"]);
        Assert.Equal(["cp-admins"], assertion.Attributes["groups"]);
        Assert.Equal(Now + TimeSpan.FromMinutes(5) + TimeSpan.FromMinutes(2), assertion.ExpiresAt);
    }

    [Fact]
    public void An_unsigned_assertion_inside_a_signed_response_is_accepted_because_the_response_signature_covers_it()
    {
        var response = Builder().Build();
        SamlResponseBuilder.Sign(response.DocumentElement!, _idpKey);

        Assert.Equal("crafted-user", Validate(response).NameId);
    }

    [Fact]
    public void A_response_with_no_signature_at_all_is_refused()
    {
        AssertRefused(SamlRefusal.NotSigned, Builder().Build());
    }

    [Fact]
    public void A_response_signature_that_references_another_element_does_not_vouch_for_the_unsigned_assertion()
    {
        var response = Builder().Build();
        var extensions = response.CreateElement("samlp", "Extensions", SamlXml.Protocol);
        extensions.SetAttribute("ID", "_ext");
        response.DocumentElement!.InsertAfter(extensions, SamlXml.Child(response.DocumentElement, SamlXml.Assertion, "Issuer"));
        SamlResponseBuilder.Sign(response.DocumentElement, _idpKey, referenceId: "_ext");

        AssertRefused(SamlRefusal.SignatureNotCoveringElement, response);
    }

    [Fact]
    public void An_assertion_altered_after_signing_is_refused()
    {
        var response = Builder().Build();
        var assertion = SamlResponseBuilder.AssertionOf(response);
        SamlResponseBuilder.Sign(assertion, _idpKey);
        assertion.GetElementsByTagName("NameID", SamlXml.Assertion)[0]!.InnerText = "someone-else";

        AssertRefused(SamlRefusal.SignatureInvalid, response);
    }

    [Fact]
    public void A_second_assertion_wrapped_beside_the_signed_one_is_refused()
    {
        var response = Builder().Build();
        var genuine = SamlResponseBuilder.AssertionOf(response);
        SamlResponseBuilder.Sign(genuine, _idpKey);
        var forged = (XmlElement)genuine.CloneNode(deep: true);
        forged.SetAttribute("ID", "_forged");
        forged.RemoveChild(SamlXml.Child(forged, SamlXml.DSig, "Signature")!);
        var extensions = response.CreateElement("samlp", "Extensions", SamlXml.Protocol);
        response.DocumentElement!.ReplaceChild(extensions, genuine);
        extensions.AppendChild(genuine);
        response.DocumentElement.AppendChild(forged);

        AssertRefused(SamlRefusal.NotExactlyOneAssertion, response);
    }

    [Fact]
    public void An_id_used_twice_in_the_document_is_refused()
    {
        var response = Builder().Build();
        var assertion = SamlResponseBuilder.AssertionOf(response);
        SamlResponseBuilder.Sign(assertion, _idpKey);
        var decoy = response.CreateElement("samlp", "Extensions", SamlXml.Protocol);
        decoy.SetAttribute("ID", assertion.GetAttribute("ID"));
        response.DocumentElement!.InsertBefore(decoy, assertion);

        AssertRefused(SamlRefusal.DuplicateId, response);
    }

    [Fact]
    public void A_signature_by_a_key_that_is_not_in_the_idp_metadata_is_refused()
    {
        var response = Builder().Build();
        SamlResponseBuilder.Sign(SamlResponseBuilder.AssertionOf(response), _otherKey);

        AssertRefused(SamlRefusal.UntrustedKey, response);
    }

    [Theory]
    [InlineData("http://www.w3.org/2000/09/xmldsig#rsa-sha1", SignedXml.XmlDsigSHA256Url)]
    [InlineData(SamlSignature.RsaSha256, "http://www.w3.org/2000/09/xmldsig#sha1")]
    public void Sha1_signatures_and_digests_are_refused(string signatureMethod, string digestMethod)
    {
        var response = Builder().Build();
        SamlResponseBuilder.Sign(SamlResponseBuilder.AssertionOf(response), _idpKey, signatureMethod, digestMethod);

        AssertRefused(SamlRefusal.DisallowedAlgorithm, response);
    }

    [Fact]
    public void A_transform_other_than_enveloped_and_exclusive_c14n_is_refused()
    {
        var response = Builder().Build();
        var assertion = SamlResponseBuilder.AssertionOf(response);
        var signed = new SignedXml(assertion) { SigningKey = _idpKey.GetRSAPrivateKey() };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = SamlSignature.RsaSha256;
        var reference = new Reference("#" + assertion.GetAttribute("ID")) { DigestMethod = SignedXml.XmlDsigSHA256Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigC14NTransform());
        signed.AddReference(reference);
        signed.ComputeSignature();
        assertion.InsertAfter(response.ImportNode(signed.GetXml(), true), SamlXml.Child(assertion, SamlXml.Assertion, "Issuer"));

        AssertRefused(SamlRefusal.DisallowedTransform, response);
    }

    [Fact]
    public void An_assertion_for_another_audience_is_refused()
    {
        AssertRefused(SamlRefusal.WrongAudience, Signed(Builder() with { Audience = "https://other-sp.test" }));
    }

    [Fact]
    public void A_response_for_another_acs_is_refused_by_its_destination()
    {
        AssertRefused(SamlRefusal.WrongDestination, Signed(Builder() with { Destination = "https://evil.test/acs" }));
    }

    [Fact]
    public void An_assertion_from_another_issuer_is_refused()
    {
        AssertRefused(SamlRefusal.WrongIssuer, Signed(Builder() with { Issuer = "https://other-idp.test" }));
    }

    [Fact]
    public void An_expired_assertion_is_refused_and_one_within_the_clock_skew_is_not()
    {
        var justExpired = Signed(Builder() with { Now = Now - TimeSpan.FromMinutes(6) });
        Assert.Equal("crafted-user", Validate(justExpired).NameId);

        AssertRefused(SamlRefusal.Expired, Signed(Builder() with { Now = Now - TimeSpan.FromMinutes(8) }));
    }

    [Fact]
    public void An_assertion_from_the_future_is_refused()
    {
        AssertRefused(SamlRefusal.NotYetValid, Signed(Builder() with { Now = Now + TimeSpan.FromMinutes(10) }));
    }

    [Fact]
    public void A_response_to_another_request_is_refused()
    {
        AssertRefused(SamlRefusal.WrongInResponseTo, Signed(Builder() with { InResponseTo = "id-someone-elses-request" }));
    }

    [Fact]
    public void An_unsolicited_response_is_refused_unless_idp_initiated_sign_in_is_allowed()
    {
        var unsolicited = Signed(Builder() with { InResponseTo = null });
        AssertRefused(SamlRefusal.UnsolicitedNotAllowed, unsolicited, Expectations() with { ExpectedRequestId = null });

        Assert.Equal("crafted-user", Validate(unsolicited, Expectations() with { ExpectedRequestId = null, AllowIdpInitiated = true }).NameId);
    }

    [Fact]
    public void A_response_holding_a_dtd_or_an_external_entity_is_refused_before_anything_is_read()
    {
        var xml = Signed(Builder()).OuterXml;
        var withEntity = "<!DOCTYPE samlp:Response [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + xml.Replace("crafted-user", "&x;", StringComparison.Ordinal);

        var refused = Assert.Throws<SamlRefusedException>(() => SamlResponseValidator.Validate(withEntity, Expectations()));
        Assert.Equal(SamlRefusal.DtdOrEntity, refused.Refusal);
    }

    [Fact]
    public void A_failed_status_is_refused()
    {
        var response = Builder().Build();
        ((XmlElement)response.GetElementsByTagName("StatusCode", SamlXml.Protocol)[0]!).SetAttribute("Value", "urn:oasis:names:tc:SAML:2.0:status:Requester");
        SamlResponseBuilder.Sign(SamlResponseBuilder.AssertionOf(response), _idpKey);

        AssertRefused(SamlRefusal.StatusNotSuccess, response);
    }

    private static SamlResponseBuilder Builder() => new() { Issuer = Idp, Destination = Acs, Audience = Sp, Now = Now, InResponseTo = RequestId };

    private static XmlDocument Signed(SamlResponseBuilder builder)
    {
        var response = builder.Build();
        SamlResponseBuilder.Sign(SamlResponseBuilder.AssertionOf(response), _idpKey);
        return response;
    }

    private static SamlExpectations Expectations() =>
        new(new SamlIdpMetadata(Idp, new Uri("https://idp.test/sso"), [_idpKey]), Sp, Acs, RequestId, false, Now, TimeSpan.FromMinutes(2));

    private static SamlAssertion Validate(XmlDocument response, SamlExpectations? expectations = null) =>
        SamlResponseValidator.Validate(response.OuterXml, expectations ?? Expectations());

    private static void AssertRefused(SamlRefusal refusal, XmlDocument response, SamlExpectations? expectations = null)
    {
        var refused = Assert.Throws<SamlRefusedException>(() => Validate(response, expectations));
        Assert.Equal(refusal, refused.Refusal);
    }

    internal static X509Certificate2 NewKey(string subject)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
