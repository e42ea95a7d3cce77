using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Xml;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>An SP-initiated AuthnRequest, sent by the HTTP-Redirect binding (DEFLATE, base64, query string).</summary>
public static class SamlAuthnRequest
{
    /// <summary>A fresh request id: an NCName (it starts with a letter) with 128 random bits.</summary>
    public static string NewId() => "id" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string Build(string id, DateTimeOffset issueInstant, Uri destination, string spEntityId, string acsUrl)
    {
        var output = new StringBuilder();
        using (var xml = XmlWriter.Create(output, new XmlWriterSettings { OmitXmlDeclaration = true }))
        {
            xml.WriteStartElement("samlp", "AuthnRequest", SamlXml.Protocol);
            xml.WriteAttributeString("xmlns", "saml", null, SamlXml.Assertion);
            xml.WriteAttributeString("ID", id);
            xml.WriteAttributeString("Version", "2.0");
            xml.WriteAttributeString("IssueInstant", SamlTime.Format(issueInstant));
            xml.WriteAttributeString("Destination", destination.AbsoluteUri);
            xml.WriteAttributeString("ProtocolBinding", SamlXml.PostBinding);
            xml.WriteAttributeString("AssertionConsumerServiceURL", acsUrl);
            xml.WriteElementString("saml", "Issuer", SamlXml.Assertion, spEntityId);
            xml.WriteStartElement("samlp", "NameIDPolicy", SamlXml.Protocol);
            xml.WriteAttributeString("AllowCreate", "true");
            xml.WriteEndElement();
            xml.WriteEndElement();
        }
        return output.ToString();
    }

    /// <summary>The IdP's SSO URL with SAMLRequest (deflated, base64) and RelayState added to its query.</summary>
    public static string RedirectUrl(Uri singleSignOn, string requestXml, string relayState)
    {
        using var deflated = new MemoryStream();
        using (var deflate = new DeflateStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
            deflate.Write(Encoding.UTF8.GetBytes(requestXml));
        var query = "SAMLRequest=" + Uri.EscapeDataString(Convert.ToBase64String(deflated.ToArray()))
            + "&RelayState=" + Uri.EscapeDataString(relayState);
        var url = singleSignOn.AbsoluteUri;
        return url + (string.IsNullOrEmpty(singleSignOn.Query) ? "?" : "&") + query;
    }

    /// <summary>The XML of a redirect-bound SAMLRequest (base64 of DEFLATE), as an IdP reads it.</summary>
    public static string Decode(string samlRequest)
    {
        using var deflate = new DeflateStream(new MemoryStream(Convert.FromBase64String(samlRequest)), CompressionMode.Decompress);
        using var reader = new StreamReader(deflate, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

/// <summary>SAML's xs:dateTime: UTC, "Z".</summary>
public static class SamlTime
{
    public static string Format(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

    public static DateTimeOffset? Parse(string? value) =>
        string.IsNullOrEmpty(value) ? null : new DateTimeOffset(XmlConvert.ToDateTime(value, XmlDateTimeSerializationMode.Utc), TimeSpan.Zero);
}
