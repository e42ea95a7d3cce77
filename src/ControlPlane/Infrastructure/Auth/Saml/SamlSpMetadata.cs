using System.Text;
using System.Xml;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>Our SP metadata: what an IdP administrator pastes (or fetches) to trust us.</summary>
public static class SamlSpMetadata
{
    public static readonly string[] NameIdFormats =
    [
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    ];

    public static string Build(string spEntityId, string acsUrl)
    {
        var output = new StringBuilder();
        using (var xml = XmlWriter.Create(output, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true }))
        {
            xml.WriteStartElement("md", "EntityDescriptor", SamlXml.Metadata);
            xml.WriteAttributeString("entityID", spEntityId);
            xml.WriteStartElement("md", "SPSSODescriptor", SamlXml.Metadata);
            xml.WriteAttributeString("AuthnRequestsSigned", "false");
            xml.WriteAttributeString("WantAssertionsSigned", "true");
            xml.WriteAttributeString("protocolSupportEnumeration", SamlXml.Protocol);
            foreach (var format in NameIdFormats)
                xml.WriteElementString("md", "NameIDFormat", SamlXml.Metadata, format);
            xml.WriteStartElement("md", "AssertionConsumerService", SamlXml.Metadata);
            xml.WriteAttributeString("Binding", SamlXml.PostBinding);
            xml.WriteAttributeString("Location", acsUrl);
            xml.WriteAttributeString("index", "0");
            xml.WriteAttributeString("isDefault", "true");
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndElement();
        }
        return output.ToString();
    }
}
