using System.Xml;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>The checks on a signed assertion's content (issuer, subject, audience, time window) and what it says.</summary>
internal static class SamlAssertionReader
{
    public static SamlAssertion Read(XmlElement assertion, XmlElement response, SamlExpectations expect)
    {
        var issuer = SamlXml.Child(assertion, SamlXml.Assertion, "Issuer")?.InnerText.Trim();
        if (issuer != expect.Idp.EntityId)
            throw new SamlRefusedException(SamlRefusal.WrongIssuer, $"the Assertion's Issuer '{issuer}' is not the IdP '{expect.Idp.EntityId}'.");
        if (SamlXml.Child(response, SamlXml.Assertion, "Issuer")?.InnerText.Trim() is { } responseIssuer && responseIssuer != expect.Idp.EntityId)
            throw new SamlRefusedException(SamlRefusal.WrongIssuer, $"the Response's Issuer '{responseIssuer}' is not the IdP '{expect.Idp.EntityId}'.");

        var subject = SamlXml.Child(assertion, SamlXml.Assertion, "Subject");
        var nameId = subject is null ? null : SamlXml.Child(subject, SamlXml.Assertion, "NameID")?.InnerText.Trim();
        if (string.IsNullOrEmpty(nameId)) throw new SamlRefusedException(SamlRefusal.NoSubject, "the Assertion has no Subject NameID.");
        var confirmedUntil = CheckBearerConfirmation(subject!, expect);

        var conditions = SamlXml.Child(assertion, SamlXml.Assertion, "Conditions")
            ?? throw new SamlRefusedException(SamlRefusal.WrongAudience, "the Assertion has no Conditions (so no audience).");
        var notBefore = SamlTime.Parse(conditions.GetAttribute("NotBefore"));
        var notOnOrAfter = SamlTime.Parse(conditions.GetAttribute("NotOnOrAfter"));
        if (notBefore is { } start && expect.Now + expect.ClockSkew < start)
            throw new SamlRefusedException(SamlRefusal.NotYetValid, $"the Assertion is valid only from {SamlTime.Format(start)}; it is {SamlTime.Format(expect.Now)} here.");
        if (notOnOrAfter is { } end && expect.Now - expect.ClockSkew >= end)
            throw new SamlRefusedException(SamlRefusal.Expired, $"the Assertion expired at {SamlTime.Format(end)}; it is {SamlTime.Format(expect.Now)} here.");

        var restrictions = SamlXml.Children(conditions, SamlXml.Assertion, "AudienceRestriction").ToList();
        if (restrictions.Count == 0)
            throw new SamlRefusedException(SamlRefusal.WrongAudience, "the Assertion has no AudienceRestriction.");
        foreach (var restriction in restrictions)
        {
            var audiences = SamlXml.Children(restriction, SamlXml.Assertion, "Audience").Select(a => a.InnerText.Trim()).ToList();
            if (!audiences.Contains(expect.SpEntityId, StringComparer.Ordinal))
                throw new SamlRefusedException(SamlRefusal.WrongAudience, $"the Assertion is for '{string.Join("', '", audiences)}', not for us ('{expect.SpEntityId}').");
        }

        var expiresAt = (notOnOrAfter is { } e && e > confirmedUntil ? e : confirmedUntil) + expect.ClockSkew;
        return new SamlAssertion(assertion.GetAttribute("ID"), nameId, Attributes(assertion), expiresAt);
    }

    /// <summary>A bearer SubjectConfirmation for our ACS, still in time, answering our request. Returns its end.</summary>
    private static DateTimeOffset CheckBearerConfirmation(XmlElement subject, SamlExpectations expect)
    {
        SamlRefusedException? first = null;
        foreach (var confirmation in SamlXml.Children(subject, SamlXml.Assertion, "SubjectConfirmation"))
        {
            if (confirmation.GetAttribute("Method") != SamlXml.Bearer) continue;
            try
            {
                var data = SamlXml.Child(confirmation, SamlXml.Assertion, "SubjectConfirmationData")
                    ?? throw new SamlRefusedException(SamlRefusal.WrongRecipient, "the bearer SubjectConfirmation has no SubjectConfirmationData.");
                if (data.GetAttribute("Recipient") != expect.AcsUrl)
                    throw new SamlRefusedException(SamlRefusal.WrongRecipient, $"the SubjectConfirmationData's Recipient '{data.GetAttribute("Recipient")}' is not our ACS URL '{expect.AcsUrl}'.");
                var until = SamlTime.Parse(data.GetAttribute("NotOnOrAfter"))
                    ?? throw new SamlRefusedException(SamlRefusal.Expired, "the SubjectConfirmationData has no NotOnOrAfter.");
                if (expect.Now - expect.ClockSkew >= until)
                    throw new SamlRefusedException(SamlRefusal.Expired, $"the SubjectConfirmationData expired at {SamlTime.Format(until)}; it is {SamlTime.Format(expect.Now)} here.");
                if (SamlTime.Parse(data.GetAttribute("NotBefore")) is { } from && expect.Now + expect.ClockSkew < from)
                    throw new SamlRefusedException(SamlRefusal.NotYetValid, $"the SubjectConfirmationData is valid only from {SamlTime.Format(from)}.");
                var inResponseTo = data.GetAttribute("InResponseTo");
                if (!string.IsNullOrEmpty(inResponseTo) || expect.ExpectedRequestId is not null)
                    SamlResponseValidator.CheckInResponseTo(inResponseTo, "SubjectConfirmationData", expect);
                return until;
            }
            catch (SamlRefusedException refused) { first ??= refused; }
        }
        throw first ?? new SamlRefusedException(SamlRefusal.WrongRecipient, "the Assertion has no bearer SubjectConfirmation.");
    }

    private static Dictionary<string, IReadOnlyList<string>> Attributes(XmlElement assertion)
    {
        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var statement in SamlXml.Children(assertion, SamlXml.Assertion, "AttributeStatement"))
            foreach (var attribute in SamlXml.Children(statement, SamlXml.Assertion, "Attribute"))
            {
                var values = SamlXml.Children(attribute, SamlXml.Assertion, "AttributeValue").Select(v => v.InnerText.Trim()).Where(v => v.Length > 0).ToList();
                foreach (var name in new[] { attribute.GetAttribute("Name"), attribute.GetAttribute("FriendlyName") }.Where(n => n.Length > 0).Distinct())
                    attributes[name] = attributes.TryGetValue(name, out var known) ? [.. known, .. values] : values;
            }
        return attributes;
    }
}
