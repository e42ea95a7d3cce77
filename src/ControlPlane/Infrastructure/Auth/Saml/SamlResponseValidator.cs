using System.Xml;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>
/// What the Response is checked against: the IdP (its entity id and signing keys), our entity id and ACS URL, the id of
/// the AuthnRequest this browser was sent with (null when unsolicited), and the time with its allowed skew.
/// </summary>
public sealed record SamlExpectations(SamlIdpMetadata Idp, string SpEntityId, string AcsUrl, string? ExpectedRequestId,
    bool AllowIdpInitiated, DateTimeOffset Now, TimeSpan ClockSkew);

/// <summary>
/// The one assertion that a Response vouched for, once every check passed: its id, the NameID, its attributes, and when
/// it can no longer be accepted (so the replay cache may forget its id).
/// </summary>
public sealed record SamlAssertion(string Id, string NameId, IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes, DateTimeOffset ExpiresAt);

/// <summary>
/// Validates a SAML Response (HTTP-POST binding, already base64-decoded) and returns the assertion it carries, or throws
/// <see cref="SamlRefusedException"/> with the reason. Replay is the caller's check (<see cref="SamlReplayCache"/>).
/// </summary>
public static class SamlResponseValidator
{
    public static SamlAssertion Validate(string responseXml, SamlExpectations expect)
    {
        XmlDocument document;
        try { document = SamlXml.Load(responseXml); }
        catch (XmlException e) when (e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        { throw new SamlRefusedException(SamlRefusal.DtdOrEntity, "the Response holds a DTD (DOCTYPE); DTDs and entities are refused."); }
        catch (XmlException e) { throw new SamlRefusedException(SamlRefusal.Malformed, $"the Response is not well-formed XML: {e.Message}"); }

        var response = document.DocumentElement!;
        if (response.NamespaceURI != SamlXml.Protocol || response.LocalName != "Response")
            throw new SamlRefusedException(SamlRefusal.Malformed, $"the document is a {response.LocalName}, not a samlp:Response.");
        if (response.GetAttribute("Version") != "2.0")
            throw new SamlRefusedException(SamlRefusal.Malformed, "the Response is not SAML 2.0.");

        var status = response.SelectSingleNode("samlp:Status/samlp:StatusCode", SamlXml.Namespaces(document)) as XmlElement;
        if (status?.GetAttribute("Value") != SamlXml.Success)
            throw new SamlRefusedException(SamlRefusal.StatusNotSuccess, $"the IdP answered with status '{status?.GetAttribute("Value")}'.");

        if (response.GetAttribute("Destination") != expect.AcsUrl)
            throw new SamlRefusedException(SamlRefusal.WrongDestination, $"the Response's Destination '{response.GetAttribute("Destination")}' is not our ACS URL '{expect.AcsUrl}'.");

        CheckInResponseTo(response.GetAttribute("InResponseTo"), "Response", expect);

        // Exactly one assertion in the whole document, as a child of the Response: a second one anywhere (wrapped in an
        // extension, an Advice, another element) is how signature wrapping smuggles in the assertion that gets used.
        if (document.GetElementsByTagName("EncryptedAssertion", SamlXml.Assertion).Count > 0)
            throw new SamlRefusedException(SamlRefusal.NotExactlyOneAssertion, "the Response holds an EncryptedAssertion; encrypted assertions are not supported.");
        var assertions = document.GetElementsByTagName("Assertion", SamlXml.Assertion).OfType<XmlElement>().ToList();
        if (assertions.Count != 1 || assertions[0].ParentNode != response)
            throw new SamlRefusedException(SamlRefusal.NotExactlyOneAssertion, $"the Response holds {assertions.Count} assertions (or one that is not its child); exactly one is accepted.");
        var assertion = assertions[0];
        CheckIdsAreUnique(document, response, assertion);

        // The Response's signature covers the Assertion (its child); otherwise the Assertion must be signed itself.
        var responseSigned = SamlSignature.Verify(response, expect.Idp.SigningCertificates);
        var assertionSigned = SamlSignature.Verify(assertion, expect.Idp.SigningCertificates);
        if (!responseSigned && !assertionSigned)
            throw new SamlRefusedException(SamlRefusal.NotSigned, "neither the Response nor the Assertion is signed by the IdP.");

        return SamlAssertionReader.Read(assertion, response, expect);
    }

    internal static void CheckInResponseTo(string? inResponseTo, string where, SamlExpectations expect)
    {
        if (expect.ExpectedRequestId is { } expected)
        {
            if (inResponseTo != expected)
                throw new SamlRefusedException(SamlRefusal.WrongInResponseTo, $"the {where} answers request '{inResponseTo}', not the request '{expected}' this browser was sent with.");
        }
        else if (!string.IsNullOrEmpty(inResponseTo))
            throw new SamlRefusedException(SamlRefusal.WrongInResponseTo, $"the {where} answers request '{inResponseTo}', but this browser has no pending request.");
        else if (!expect.AllowIdpInitiated)
            throw new SamlRefusedException(SamlRefusal.UnsolicitedNotAllowed, "an IdP-initiated (unsolicited) Response arrived, and AllowIdpInitiated is off.");
    }

    private static void CheckIdsAreUnique(XmlDocument document, XmlElement response, XmlElement assertion)
    {
        // SignedXml finds a Reference's element by any of these attribute names: one value, one element.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in document.GetElementsByTagName("*").OfType<XmlElement>())
            foreach (var name in (ReadOnlySpan<string>)["ID", "Id", "id"])
                if (element.GetAttributeNode(name) is { } attribute && !seen.Add(attribute.Value))
                    throw new SamlRefusedException(SamlRefusal.DuplicateId, $"the ID '{attribute.Value}' occurs more than once in the Response.");
        if (string.IsNullOrEmpty(response.GetAttribute("ID")) || string.IsNullOrEmpty(assertion.GetAttribute("ID")))
            throw new SamlRefusedException(SamlRefusal.Malformed, "the Response or its Assertion has no ID.");
    }
}
