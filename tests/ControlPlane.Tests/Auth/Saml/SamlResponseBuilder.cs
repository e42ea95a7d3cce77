using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;
using ControlPlane.Infrastructure.Auth.Saml;

namespace ControlPlane.Tests.Auth.Saml;

/// <summary>
/// Crafts SAML Responses the way an IdP writes them (SimpleSAMLphp's shape), signed with a given key through SignedXml,
/// so that each attack test can start from a Response that would be accepted and change one thing.
/// </summary>
internal sealed record SamlResponseBuilder
{
    public required string Issuer { get; init; }
    public required string Destination { get; init; }
    public required string Audience { get; init; }
    public required DateTimeOffset Now { get; init; }
    public string? InResponseTo { get; init; }
    public string NameId { get; init; } = "crafted-user";
    public string Email { get; init; } = "crafted@acme.test";
    public string DisplayName { get; init; } = "Crafted User";
    public string[] Groups { get; init; } = ["cp-admins"];
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(5);
    public string ResponseId { get; init; } = "_r" + Guid.NewGuid().ToString("N");
    public string AssertionId { get; init; } = "_a" + Guid.NewGuid().ToString("N");

    /// <summary>The Response as an XmlDocument (unsigned); sign parts of it with <see cref="Sign"/>.</summary>
    public XmlDocument Build()
    {
        var inResponseTo = InResponseTo is null ? "" : $" InResponseTo=\"{InResponseTo}\"";
        var now = SamlTime.Format(Now);
        var until = SamlTime.Format(Now + Lifetime);
        var groups = string.Concat(Groups.Select(g => $"<saml:AttributeValue xsi:type=\"xs:string\">{g}</saml:AttributeValue>"));
        var xml = $"""
            <samlp:Response xmlns:samlp="{SamlXml.Protocol}" xmlns:saml="{SamlXml.Assertion}" ID="{ResponseId}" Version="2.0" IssueInstant="{now}" Destination="{Destination}"{inResponseTo}><saml:Issuer>{Issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{SamlXml.Success}"/></samlp:Status><saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="{AssertionId}" Version="2.0" IssueInstant="{now}"><saml:Issuer>{Issuer}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{NameId}</saml:NameID><saml:SubjectConfirmation Method="{SamlXml.Bearer}"><saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="{Destination}"{inResponseTo}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{SamlTime.Format(Now - TimeSpan.FromSeconds(30))}" NotOnOrAfter="{until}"><saml:AudienceRestriction><saml:Audience>{Audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{now}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue xsi:type="xs:string">{Email}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="displayName"><saml:AttributeValue xsi:type="xs:string">{DisplayName}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="groups">{groups}</saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>
            """;
        return SamlXml.Load(xml);
    }

    /// <summary>Signs <paramref name="element"/> (enveloped, exc-c14n) and puts the Signature after its Issuer, as SAML wants.</summary>
    public static void Sign(XmlElement element, X509Certificate2 key, string signatureMethod = SamlSignature.RsaSha256,
        string digestMethod = SignedXml.XmlDsigSHA256Url, string? referenceId = null)
    {
        var signed = new SignedXml(element) { SigningKey = key.GetRSAPrivateKey() };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = signatureMethod;
        var reference = new Reference("#" + (referenceId ?? element.GetAttribute("ID"))) { DigestMethod = digestMethod };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        signed.KeyInfo = new KeyInfo();
        signed.KeyInfo.AddClause(new KeyInfoX509Data(key));
        signed.ComputeSignature();
        var signature = element.OwnerDocument.ImportNode(signed.GetXml(), deep: true);
        element.InsertAfter(signature, SamlXml.Child(element, SamlXml.Assertion, "Issuer"));
    }

    public static XmlElement AssertionOf(XmlDocument response) => SamlXml.Child(response.DocumentElement!, SamlXml.Assertion, "Assertion")!;

    public static string Encode(XmlDocument response) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(response.OuterXml));

    public static string Encode(string response) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(response));
}
