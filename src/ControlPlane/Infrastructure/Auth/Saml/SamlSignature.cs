using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>
/// Checks the enveloped signature of one element (a Response or an Assertion), and only in the shape SAML uses: one
/// Reference whose URI is that very element's ID, the enveloped and exclusive-c14n transforms and nothing else,
/// RSA-SHA256 over SHA-256 digests, verified only with the IdP metadata's signing certificates (never KeyInfo).
/// </summary>
public static class SamlSignature
{
    public const string RsaSha256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    private static readonly HashSet<string> AllowedTransforms = [SignedXml.XmlDsigEnvelopedSignatureTransformUrl, SignedXml.XmlDsigExcC14NTransformUrl];

    /// <summary>False when <paramref name="element"/> carries no signature; true when it carries a valid one; throws otherwise.</summary>
    public static bool Verify(XmlElement element, IReadOnlyList<X509Certificate2> trusted)
    {
        var signatures = SamlXml.Children(element, SamlXml.DSig, "Signature").ToList();
        if (signatures.Count == 0) return false;
        var what = element.LocalName;
        if (signatures.Count > 1) throw new SamlRefusedException(SamlRefusal.Malformed, $"the {what} carries {signatures.Count} signatures.");

        var xml = new SignedXml(element);
        try { xml.LoadXml(signatures[0]); }
        catch (System.Security.Cryptography.CryptographicException e) { throw new SamlRefusedException(SamlRefusal.Malformed, $"the {what}'s signature cannot be read: {e.Message}"); }

        if (xml.SignatureMethod != RsaSha256)
            throw new SamlRefusedException(SamlRefusal.DisallowedAlgorithm, $"the {what} is signed with {xml.SignatureMethod}; only RSA-SHA256 is accepted (SHA-1 is refused).");
        if (xml.SignedInfo!.CanonicalizationMethod != SignedXml.XmlDsigExcC14NTransformUrl)
            throw new SamlRefusedException(SamlRefusal.DisallowedTransform, $"the {what}'s signature uses canonicalization {xml.SignedInfo.CanonicalizationMethod}; only exclusive c14n is accepted.");
        if (xml.SignedInfo.References.Count != 1)
            throw new SamlRefusedException(SamlRefusal.SignatureNotCoveringElement, $"the {what}'s signature has {xml.SignedInfo.References.Count} references; exactly one is accepted.");
        var reference = (Reference)xml.SignedInfo.References[0]!;
        var id = element.GetAttribute("ID");
        if (string.IsNullOrEmpty(id) || reference.Uri != "#" + id)
            throw new SamlRefusedException(SamlRefusal.SignatureNotCoveringElement, $"the {what}'s signature references '{reference.Uri}', not the {what} itself ('#{id}').");
        if (reference.DigestMethod != SignedXml.XmlDsigSHA256Url)
            throw new SamlRefusedException(SamlRefusal.DisallowedAlgorithm, $"the {what}'s signature digests with {reference.DigestMethod}; only SHA-256 is accepted (SHA-1 is refused).");
        foreach (Transform transform in reference.TransformChain)
            if (!AllowedTransforms.Contains(transform.Algorithm ?? ""))
                throw new SamlRefusedException(SamlRefusal.DisallowedTransform, $"the {what}'s signature uses transform {transform.Algorithm}; only enveloped-signature and exclusive c14n are accepted.");

        foreach (var certificate in trusted)
        {
            using var key = certificate.GetRSAPublicKey();
            if (key is not null && xml.CheckSignature(key)) return true;
        }
        // Only to say why in the log: a signature that holds under the key it names is sound, but that key is not the IdP's.
        bool validUnderItsOwnKey;
        try { validUnderItsOwnKey = xml.CheckSignature(); }
        catch (System.Security.Cryptography.CryptographicException) { validUnderItsOwnKey = false; }
        throw validUnderItsOwnKey
            ? new SamlRefusedException(SamlRefusal.UntrustedKey, $"the {what} is signed by a key that is not among the IdP metadata's signing certificates.")
            : new SamlRefusedException(SamlRefusal.SignatureInvalid, $"the {what}'s signature does not verify with the IdP's signing certificates (altered after signing?).");
    }
}
