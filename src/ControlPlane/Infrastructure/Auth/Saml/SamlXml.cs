using System.Xml;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>Names and the one safe way to read SAML XML: no DTD, no external entity, nothing fetched.</summary>
public static class SamlXml
{
    public const string Protocol = "urn:oasis:names:tc:SAML:2.0:protocol";
    public const string Assertion = "urn:oasis:names:tc:SAML:2.0:assertion";
    public const string Metadata = "urn:oasis:names:tc:SAML:2.0:metadata";
    public const string DSig = "http://www.w3.org/2000/09/xmldsig#";
    public const string RedirectBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
    public const string PostBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
    public const string Success = "urn:oasis:names:tc:SAML:2.0:status:Success";
    public const string Bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

    /// <summary>
    /// Parses <paramref name="xml"/> with DTDs prohibited (a DOCTYPE is an error, so no entity of any kind expands) and
    /// no resolver (nothing is fetched). Whitespace is preserved: signatures are computed over the bytes as sent.
    /// </summary>
    public static XmlDocument Load(string xml)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            IgnoreProcessingInstructions = true,
        };
        var document = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        document.Load(reader);
        return document;
    }

    public static XmlNamespaceManager Namespaces(XmlDocument document)
    {
        var ns = new XmlNamespaceManager(document.NameTable);
        ns.AddNamespace("samlp", Protocol);
        ns.AddNamespace("saml", Assertion);
        ns.AddNamespace("md", Metadata);
        ns.AddNamespace("ds", DSig);
        return ns;
    }

    /// <summary>The direct children of <paramref name="parent"/> with this name.</summary>
    public static IEnumerable<XmlElement> Children(XmlElement parent, string ns, string localName) =>
        parent.ChildNodes.OfType<XmlElement>().Where(e => e.NamespaceURI == ns && e.LocalName == localName);

    public static XmlElement? Child(XmlElement parent, string ns, string localName) => Children(parent, ns, localName).FirstOrDefault();
}
