using System.Text.Json;
using System.Text.RegularExpressions;

namespace ControlPlane.Features.People.Scim;

/// <summary>
/// The filters Okta and Entra send (RFC 7644 §3.4.2.2): one equality on one attribute, e.g. <c>userName eq "a@b.c"</c>,
/// <c>externalId eq "00u1"</c>, <c>emails[type eq "work"].value eq "a@b.c"</c>, <c>displayName eq "Finance"</c>.
/// Anything else is refused with scimType invalidFilter rather than half-understood.
/// </summary>
/// <param name="Attribute">Lower-case attribute path: username, externalid, displayname, id, emails.value.</param>
/// <param name="Value">The value compared with (a string, or "true"/"false").</param>
public sealed partial record ScimFilter(string Attribute, string Value)
{
    public static ScimFilter? Parse(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter)) return null;
        var match = Equality().Match(filter);
        if (!match.Success) throw ScimException.InvalidFilter($"Only filters of the form 'attribute eq \"value\"' are supported, not '{filter}'.");
        var attribute = match.Groups["attr"].Value.ToLowerInvariant();
        if (attribute.StartsWith(ScimSchemas.User.ToLowerInvariant() + ":", StringComparison.Ordinal))
            attribute = attribute[(ScimSchemas.User.Length + 1)..];
        if (match.Groups["type"].Success || attribute == "emails") attribute = "emails.value";
        var raw = match.Groups["value"].Value;
        var value = raw.StartsWith('"') ? JsonSerializer.Deserialize<string>(raw)! : raw.ToLowerInvariant();
        return new ScimFilter(attribute, value);
    }

    /// <summary>The member id in an Entra removal path: <c>members[value eq "2819c223"]</c>.</summary>
    public static string? MemberValue(string path) => MemberPath().Match(path) is { Success: true } m ? JsonSerializer.Deserialize<string>(m.Groups["value"].Value) : null;

    [GeneratedRegex("""^\s*(?<attr>[A-Za-z][\w.:\-]*?)(\[\s*type\s+eq\s+"(?<type>[^"]*)"\s*\]\.value)?\s+eq\s+(?<value>"(?:[^"\\]|\\.)*"|true|false)\s*$""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Equality();

    [GeneratedRegex("""^\s*members\s*\[\s*value\s+eq\s+(?<value>"(?:[^"\\]|\\.)*")\s*\]\s*$""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MemberPath();
}
