using System.Security.Cryptography.X509Certificates;
using System.Xml;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>What we trust about an IdP, read from its metadata: who it is, where to send people, which keys sign.</summary>
public sealed record SamlIdpMetadata(string EntityId, Uri SingleSignOnUrl, IReadOnlyList<X509Certificate2> SigningCertificates)
{
    /// <summary>Reads an EntityDescriptor (or the first IdP in an EntitiesDescriptor). Throws FormatException when unusable.</summary>
    public static SamlIdpMetadata Parse(string xml)
    {
        XmlDocument document;
        try { document = SamlXml.Load(xml); }
        catch (XmlException e) { throw new FormatException($"The IdP metadata is not well-formed XML (or holds a DTD): {e.Message}", e); }
        var ns = SamlXml.Namespaces(document);
        var entity = document.SelectSingleNode("//md:EntityDescriptor[md:IDPSSODescriptor]", ns) as XmlElement
            ?? throw new FormatException("The IdP metadata has no EntityDescriptor with an IDPSSODescriptor.");
        var entityId = entity.GetAttribute("entityID");
        if (string.IsNullOrWhiteSpace(entityId)) throw new FormatException("The IdP metadata's EntityDescriptor has no entityID.");
        var idp = (XmlElement)entity.SelectSingleNode("md:IDPSSODescriptor", ns)!;

        var sso = idp.SelectNodes("md:SingleSignOnService", ns)!.OfType<XmlElement>()
            .FirstOrDefault(e => e.GetAttribute("Binding") == SamlXml.RedirectBinding)
            ?? throw new FormatException("The IdP metadata has no SingleSignOnService with the HTTP-Redirect binding.");
        if (!Uri.TryCreate(sso.GetAttribute("Location"), UriKind.Absolute, out var ssoUrl) || (ssoUrl.Scheme != Uri.UriSchemeHttps && ssoUrl.Scheme != Uri.UriSchemeHttp))
            throw new FormatException("The IdP metadata's HTTP-Redirect SingleSignOnService has no http(s) Location.");

        var certificates = new List<X509Certificate2>();
        foreach (var key in idp.SelectNodes("md:KeyDescriptor", ns)!.OfType<XmlElement>())
        {
            // A KeyDescriptor without "use" serves both signing and encryption.
            if (key.GetAttribute("use") is { Length: > 0 } use && use != "signing") continue;
            foreach (var data in key.SelectNodes("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns)!.OfType<XmlElement>())
            {
                var base64 = string.Concat(data.InnerText.Where(c => !char.IsWhiteSpace(c)));
                try { certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(base64))); }
                catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
                { throw new FormatException("The IdP metadata holds a signing certificate that cannot be read.", e); }
            }
        }
        if (certificates.Count == 0) throw new FormatException("The IdP metadata names no signing certificate.");
        return new SamlIdpMetadata(entityId, ssoUrl, certificates);
    }
}
