using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.Features.People.Scim;

/// <summary>The schema URNs of RFC 7643/7644 this service speaks.</summary>
public static class ScimSchemas
{
    public const string User = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string Group = "urn:ietf:params:scim:schemas:core:2.0:Group";
    public const string ListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    public const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    public const string Error = "urn:ietf:params:scim:api:messages:2.0:Error";
    public const string ServiceProviderConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
    public const string ResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
    public const string Schema = "urn:ietf:params:scim:schemas:core:2.0:Schema";
    public const string ContentType = "application/scim+json";
}

/// <summary>A SCIM request the service refuses, with the RFC 7644 §3.12 status and scimType.</summary>
public sealed class ScimException(int status, string? scimType, string detail) : Exception(detail)
{
    public int Status => status;
    public string? ScimType => scimType;

    public static ScimException InvalidSyntax(string detail) => new(StatusCodes.Status400BadRequest, "invalidSyntax", detail);
    public static ScimException InvalidValue(string detail) => new(StatusCodes.Status400BadRequest, "invalidValue", detail);
    public static ScimException InvalidFilter(string detail) => new(StatusCodes.Status400BadRequest, "invalidFilter", detail);
    public static ScimException InvalidPath(string detail) => new(StatusCodes.Status400BadRequest, "invalidPath", detail);
    public static ScimException NoTarget(string detail) => new(StatusCodes.Status400BadRequest, "noTarget", detail);
    public static ScimException Uniqueness(string detail) => new(StatusCodes.Status409Conflict, "uniqueness", detail);
    public static ScimException NotFound(string detail) => new(StatusCodes.Status404NotFound, null, detail);
}

/// <summary>Responses in application/scim+json.</summary>
public static class ScimResults
{
    public static IResult Json(JsonNode body, int status = StatusCodes.Status200OK, string? location = null) => new ScimJson(body, status, location);

    public static IResult Error(int status, string? scimType, string detail)
    {
        var body = new JsonObject
        {
            ["schemas"] = new JsonArray(ScimSchemas.Error),
            ["status"] = status.ToString(CultureInfo.InvariantCulture),
            ["detail"] = detail,
        };
        if (scimType is not null) body["scimType"] = scimType;
        return new ScimJson(body, status, null);
    }

    public static IResult Error(ScimException problem) => Error(problem.Status, problem.ScimType, problem.Message);

    public static IResult NoContent() => Results.StatusCode(StatusCodes.Status204NoContent);

    private sealed class ScimJson(JsonNode body, int status, string? location) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = ScimSchemas.ContentType + "; charset=utf-8";
            if (location is not null) http.Response.Headers.Location = location;
            await http.Response.WriteAsync(body.ToJsonString(), Encoding.UTF8, http.RequestAborted);
        }
    }
}

/// <summary>Reading request bodies: any JSON content type (Okta and Entra send application/scim+json), objects only.</summary>
public static class ScimRequest
{
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            var node = await JsonNode.ParseAsync(request.Body, new JsonNodeOptions { PropertyNameCaseInsensitive = true }, cancellationToken: ct);
            return node as JsonObject ?? throw ScimException.InvalidSyntax("The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw ScimException.InvalidSyntax($"The request body is not valid JSON: {e.Message}");
        }
    }
}
