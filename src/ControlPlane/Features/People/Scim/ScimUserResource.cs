using System.Text.Json.Nodes;

namespace ControlPlane.Features.People.Scim;

/// <summary>A <see cref="ScimUser"/> as the SCIM core User resource, and the attributes a request may set on it.</summary>
public static class ScimUserResource
{
    public static JsonObject ToJson(ScimUser user, string baseUrl)
    {
        var name = new JsonObject();
        if (user.GivenName is not null) name["givenName"] = user.GivenName;
        if (user.FamilyName is not null) name["familyName"] = user.FamilyName;
        name["formatted"] = FullName(user);
        var json = new JsonObject
        {
            ["schemas"] = new JsonArray(ScimSchemas.User),
            ["id"] = user.Id.ToString(),
            ["userName"] = user.UserName,
            ["name"] = name,
            ["displayName"] = user.DisplayName ?? FullName(user),
            ["emails"] = new JsonArray(new JsonObject { ["value"] = user.WorkEmail ?? user.UserName, ["type"] = "work", ["primary"] = true }),
            ["active"] = user.Active,
            ["meta"] = Meta("User", user.CreatedAt, user.UpdatedAt, $"{baseUrl}/Users/{user.Id}"),
        };
        if (user.ExternalId is not null) json["externalId"] = user.ExternalId;
        return json;
    }

    public static JsonObject Meta(string type, DateTime created, DateTime updated, string location) => new()
    {
        ["resourceType"] = type,
        ["created"] = DateTime.SpecifyKind(created, DateTimeKind.Utc).ToString("O"),
        ["lastModified"] = DateTime.SpecifyKind(updated, DateTimeKind.Utc).ToString("O"),
        ["location"] = location,
    };

    public static string FullName(ScimUser user) =>
        string.Join(' ', new[] { user.GivenName, user.FamilyName }.Where(n => !string.IsNullOrWhiteSpace(n))) is { Length: > 0 } full ? full
        : user.DisplayName ?? user.UserName;

    /// <summary>The person's e-mail here: the userName when it is one (Okta's login, Entra's UPN), else the work e-mail.</summary>
    public static string EmailOf(ScimUser user) => user.UserName.Contains('@', StringComparison.Ordinal) ? user.UserName : user.WorkEmail ?? user.UserName;

    /// <summary>PUT and POST: every attribute from the body, absent ones cleared (RFC 7644 §3.5.1), userName required.</summary>
    public static void Replace(ScimUser user, JsonObject body)
    {
        var userName = ScimPatch.Text(body["userName"], "userName");
        if (string.IsNullOrWhiteSpace(userName)) throw ScimException.InvalidValue("'userName' is required.");
        user.UserName = userName.Trim();
        user.ExternalId = ScimPatch.Text(body["externalId"], "externalId");
        user.DisplayName = ScimPatch.Text(body["displayName"], "displayName");
        user.GivenName = user.FamilyName = user.WorkEmail = null;
        if (body["name"] is { } name) Set(user, "name", name);
        if (body["emails"] is { } emails) Set(user, "emails", emails);
        user.Active = body["active"] is null || ScimPatch.Boolean(body["active"], "active");
    }

    /// <summary>One PATCH operation on a user. Attributes this service does not keep (title, phoneNumbers, …) are accepted and ignored.</summary>
    public static void Apply(ScimUser user, ScimOperation operation)
    {
        if (operation.Path is null)
        {
            // Okta: {"op":"replace","value":{"active":false}}; Entra also sends dotted keys: {"name.givenName":"Ann"}.
            if (operation.Value is not JsonObject values) throw ScimException.InvalidSyntax("An operation without a path needs an object value.");
            foreach (var (key, value) in values) Set(user, key, operation.Op == "remove" ? null : value);
            return;
        }
        Set(user, operation.Path, operation.Op == "remove" ? null : operation.Value);
    }

    private static void Set(ScimUser user, string path, JsonNode? value)
    {
        var attribute = path.Trim();
        if (attribute.StartsWith(ScimSchemas.User + ":", StringComparison.OrdinalIgnoreCase)) attribute = attribute[(ScimSchemas.User.Length + 1)..];
        switch (attribute.ToLowerInvariant())
        {
            case "username":
                user.UserName = ScimPatch.Text(value, "userName") is { Length: > 0 } u ? u.Trim() : throw ScimException.InvalidValue("'userName' cannot be removed.");
                break;
            case "externalid": user.ExternalId = ScimPatch.Text(value, "externalId"); break;
            case "displayname": user.DisplayName = ScimPatch.Text(value, "displayName"); break;
            case "name.givenname": user.GivenName = ScimPatch.Text(value, "name.givenName"); break;
            case "name.familyname": user.FamilyName = ScimPatch.Text(value, "name.familyName"); break;
            case "name.formatted": user.DisplayName ??= ScimPatch.Text(value, "name.formatted"); break;
            case "name":
                if (value is null) { user.GivenName = user.FamilyName = null; break; }
                if (value is not JsonObject name) throw ScimException.InvalidValue("'name' must be an object.");
                if (name["givenName"] is { } given) user.GivenName = ScimPatch.Text(given, "name.givenName");
                if (name["familyName"] is { } family) user.FamilyName = ScimPatch.Text(family, "name.familyName");
                break;
            case "emails":
                if (value is null) { user.WorkEmail = null; break; }
                if (value is not JsonArray emails) throw ScimException.InvalidValue("'emails' must be an array.");
                var work = emails.OfType<JsonObject>().OrderByDescending(e => (e["type"] as JsonValue)?.ToString() == "work")
                    .ThenByDescending(e => e["primary"] is JsonValue p && p.TryGetValue<bool>(out var b) && b).FirstOrDefault();
                user.WorkEmail = work is null ? null : ScimPatch.Text(work["value"], "emails.value");
                break;
            case "active":
                user.Active = value is not null && ScimPatch.Boolean(value, "active");
                break;
            default:
                if (attribute.StartsWith("emails[", StringComparison.OrdinalIgnoreCase) || attribute.Equals("emails.value", StringComparison.OrdinalIgnoreCase))
                    user.WorkEmail = ScimPatch.Text(value, "emails.value");
                break; // not kept here
        }
    }
}
