using System.Security.Claims;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>The contract claims (sub, email, name, one groups claim per group) from an accepted assertion.</summary>
public static class SamlClaims
{
    public const string Subject = "sub";
    public const string Email = "email";
    public const string Name = "name";
    public const string Groups = "groups";

    public static IEnumerable<Claim> From(SamlAssertion assertion, SamlOptions options)
    {
        var issuer = SamlOptions.SchemeFor(options.ProviderName);
        string? First(string? attribute) =>
            attribute is not null && assertion.Attributes.TryGetValue(attribute, out var values) && values.Count > 0 ? values[0] : null;

        var email = First(options.EmailAttribute) ?? (assertion.NameId.Contains('@', StringComparison.Ordinal) ? assertion.NameId : null);
        var name = First(options.NameAttribute) ?? email ?? assertion.NameId;
        yield return new Claim(Subject, assertion.NameId, ClaimValueTypes.String, issuer);
        if (email is not null) yield return new Claim(Email, email, ClaimValueTypes.String, issuer);
        yield return new Claim(Name, name, ClaimValueTypes.String, issuer);
        if (assertion.Attributes.TryGetValue(options.GroupsAttribute, out var groups))
            foreach (var group in groups.Distinct(StringComparer.Ordinal))
                yield return new Claim(Groups, group, ClaimValueTypes.String, issuer);
    }
}
