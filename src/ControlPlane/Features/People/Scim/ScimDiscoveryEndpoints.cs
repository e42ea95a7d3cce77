using System.Text.Json.Nodes;

namespace ControlPlane.Features.People.Scim;

/// <summary>/ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7643 §5-7): what this service provider supports.</summary>
public static class ScimDiscoveryEndpoints
{
    public static RouteGroupBuilder MapScimDiscovery(this RouteGroupBuilder scim)
    {
        scim.MapGet("/ServiceProviderConfig", (HttpContext http) => ScimResults.Json(ServiceProviderConfig(ScimEndpoints.BaseUrl(http.Request))));
        scim.MapGet("/ResourceTypes", (HttpContext http) =>
        {
            var baseUrl = ScimEndpoints.BaseUrl(http.Request);
            return ScimResults.Json(ScimUsersEndpoints.ListResponse(2, 1, [ResourceType("User", "/Users", ScimSchemas.User, baseUrl), ResourceType("Group", "/Groups", ScimSchemas.Group, baseUrl)]));
        });
        scim.MapGet("/Schemas", (HttpContext http) =>
        {
            var baseUrl = ScimEndpoints.BaseUrl(http.Request);
            return ScimResults.Json(ScimUsersEndpoints.ListResponse(2, 1, [UserSchema(baseUrl), GroupSchema(baseUrl)]));
        });
        return scim;
    }

    private static JsonObject ServiceProviderConfig(string baseUrl) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemas.ServiceProviderConfig),
        ["patch"] = new JsonObject { ["supported"] = true },
        ["bulk"] = new JsonObject { ["supported"] = false, ["maxOperations"] = 0, ["maxPayloadSize"] = 0 },
        ["filter"] = new JsonObject { ["supported"] = true, ["maxResults"] = 200 },
        ["changePassword"] = new JsonObject { ["supported"] = false },
        ["sort"] = new JsonObject { ["supported"] = false },
        ["etag"] = new JsonObject { ["supported"] = false },
        ["authenticationSchemes"] = new JsonArray(new JsonObject
        {
            ["type"] = "oauthbearertoken",
            ["name"] = "OAuth Bearer Token",
            ["description"] = "A SCIM token created for the identity provider on the Sign-in settings page (or `scim token create`).",
            ["primary"] = true,
        }),
        ["meta"] = new JsonObject { ["resourceType"] = "ServiceProviderConfig", ["location"] = $"{baseUrl}/ServiceProviderConfig" },
    };

    private static JsonObject ResourceType(string name, string endpoint, string schema, string baseUrl) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemas.ResourceType),
        ["id"] = name,
        ["name"] = name,
        ["endpoint"] = endpoint,
        ["schema"] = schema,
        ["meta"] = new JsonObject { ["resourceType"] = "ResourceType", ["location"] = $"{baseUrl}/ResourceTypes/{name}" },
    };

    private static JsonObject UserSchema(string baseUrl) => Schema(ScimSchemas.User, "User", baseUrl,
        Attribute("userName", "string", required: true, uniqueness: "server"),
        Attribute("externalId", "string"),
        Attribute("displayName", "string"),
        Complex("name", Attribute("givenName", "string"), Attribute("familyName", "string"), Attribute("formatted", "string")),
        Complex("emails", multiValued: true, Attribute("value", "string"), Attribute("type", "string"), Attribute("primary", "boolean")),
        Attribute("active", "boolean"));

    private static JsonObject GroupSchema(string baseUrl) => Schema(ScimSchemas.Group, "Group", baseUrl,
        Attribute("displayName", "string", required: true, uniqueness: "server"),
        Attribute("externalId", "string"),
        Complex("members", multiValued: true, Attribute("value", "string"), Attribute("display", "string"), Attribute("$ref", "reference")));

    private static JsonObject Schema(string id, string name, string baseUrl, params JsonNode[] attributes) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemas.Schema),
        ["id"] = id,
        ["name"] = name,
        ["attributes"] = new JsonArray(attributes),
        ["meta"] = new JsonObject { ["resourceType"] = "Schema", ["location"] = $"{baseUrl}/Schemas/{id}" },
    };

    private static JsonObject Attribute(string name, string type, bool required = false, string uniqueness = "none") => new()
    {
        ["name"] = name, ["type"] = type, ["multiValued"] = false, ["required"] = required,
        ["caseExact"] = false, ["mutability"] = "readWrite", ["returned"] = "default", ["uniqueness"] = uniqueness,
    };

    private static JsonObject Complex(string name, params JsonNode[] sub) => Complex(name, false, sub);

    private static JsonObject Complex(string name, bool multiValued, params JsonNode[] sub) => new()
    {
        ["name"] = name, ["type"] = "complex", ["multiValued"] = multiValued, ["required"] = false,
        ["mutability"] = "readWrite", ["returned"] = "default", ["subAttributes"] = new JsonArray(sub),
    };
}
