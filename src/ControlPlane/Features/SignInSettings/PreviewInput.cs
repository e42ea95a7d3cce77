using System.Text.Json;

namespace ControlPlane.Features.SignInSettings;

/// <summary>The groups read from what an Owner pasted into the preview, or why none could be read.</summary>
public sealed record PreviewGroups(IReadOnlyList<string> Groups, string? Problem, string? Note = null);

/// <summary>
/// Reads the preview's input as the sign-in handlers would see it: a JSON claim set (an id_token's payload, a SAML
/// attribute set as JSON) whose groups sit under the provider's GroupsClaim / GroupsAttribute, or a plain list of groups.
/// </summary>
public static class PreviewInput
{
    public const string DefaultGroupsName = "groups";

    /// <summary>The claim (OIDC) or attribute (SAML) the provider's groups arrive in.</summary>
    public static string GroupsNameOf(ConfiguredProvider provider)
    {
        var key = provider.IsSaml ? "GroupsAttribute" : "GroupsClaim";
        var configured = provider.Settings.FirstOrDefault(s => string.Equals(s.Key, key, StringComparison.OrdinalIgnoreCase)).Value;
        return string.IsNullOrWhiteSpace(configured) ? DefaultGroupsName : configured;
    }

    /// <summary>One group a line (commas also separate), blanks ignored.</summary>
    public static PreviewGroups FromList(string? text) =>
        new([.. (text ?? "").Split(['\n', '\r', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase)], null);

    public static PreviewGroups FromJson(string? text, string groupsName)
    {
        if (string.IsNullOrWhiteSpace(text)) return new([], "Paste a JSON claim set, e.g. {\"email\": \"a@b.c\", \"groups\": [\"cp-admins\"]}.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return new([], $"This is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return new([], "The claim set must be a JSON object, e.g. {\"groups\": [\"cp-admins\"]}.");
            var claim = document.RootElement.EnumerateObject().FirstOrDefault(p => p.NameEquals(groupsName));
            if (claim.Value.ValueKind == JsonValueKind.Undefined)
                return new([], null, $"The claim set has no '{groupsName}' claim: no groups.");
            return claim.Value.ValueKind switch
            {
                JsonValueKind.Array => new([.. claim.Value.EnumerateArray().Select(ValueOf).OfType<string>()], null),
                JsonValueKind.String or JsonValueKind.Number => new([ValueOf(claim.Value)!], null),
                _ => new([], $"The '{groupsName}' claim must be a string or a list of strings."),
            };
        }
    }

    private static string? ValueOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };
}
