using System.Text.Json.Nodes;

namespace ControlPlane.Features.People.Scim;

/// <summary>A <see cref="ScimGroup"/> as the SCIM core Group resource.</summary>
public static class ScimGroupResource
{
    public static JsonObject ToJson(ScimGroup group, IReadOnlyList<ScimUser>? members, string baseUrl)
    {
        var json = new JsonObject
        {
            ["schemas"] = new JsonArray(ScimSchemas.Group),
            ["id"] = group.Id.ToString(),
            ["displayName"] = group.DisplayName,
        };
        if (group.ExternalId is not null) json["externalId"] = group.ExternalId;
        if (members is not null)
            json["members"] = new JsonArray([.. members.Select(m => (JsonNode)new JsonObject
            {
                ["value"] = m.Id.ToString(),
                ["display"] = m.UserName,
                ["$ref"] = $"{baseUrl}/Users/{m.Id}",
            })]);
        json["meta"] = ScimUserResource.Meta("Group", group.CreatedAt, group.UpdatedAt, $"{baseUrl}/Groups/{group.Id}");
        return json;
    }

    /// <summary>The member ids of a value: <c>[{"value":"id"}, …]</c> (a single object is taken as a list of one).</summary>
    public static IReadOnlyList<Guid> MemberIds(JsonNode? value)
    {
        var items = value switch
        {
            JsonArray array => array.ToList(),
            JsonObject one => [one],
            null => [],
            _ => throw ScimException.InvalidValue("'members' must be a list of {\"value\": id}."),
        };
        return [.. items.Select(item =>
            item is JsonObject o && ScimPatch.Text(o["value"], "members.value") is { } text && Guid.TryParse(text, out var id) ? id
            : throw ScimException.InvalidValue($"'{item?.ToJsonString()}' is not a member reference ({{\"value\": user id}})."))];
    }
}
