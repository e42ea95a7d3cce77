using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ControlPlane.Infrastructure.Api;

/// <summary>
/// The OpenAPI document of <c>/api/v1</c> (nothing else): both ways to authenticate as security schemes, and on every
/// operation its security requirement and the problem-details answers of the conventions (400/401/403 always; 404 with an
/// id in the path; 412/428 with If-Match on PUT, PATCH and DELETE; 409/422 with Idempotency-Key on idempotent creates).
/// </summary>
internal static class ApiDocument
{
    public const string Name = "v1";
    public const string TokenScheme = "adminToken";
    public const string CookieScheme = "session";

    public static void Configure(OpenApiOptions options)
    {
        options.ShouldInclude = description => description.RelativePath?.StartsWith("api/v1", StringComparison.Ordinal) == true;
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "ControlPlane management API", Version = "v1",
                Description = "Everything the dashboard manages, by script. Authenticate with an admin token (Authorization: Bearer cp_admin_…, " +
                    "made on Settings / API tokens) or the dashboard's session. Errors are RFC 9457 problem details.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[TokenScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "cp_admin_…",
                Description = "An admin token: acts as its creator with the token's role, optionally only within some teams.",
            };
            document.Components.SecuritySchemes[CookieScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Cookie, Name = "cp-session",
                Description = "The dashboard's session; changes also need the antiforgery token in the RequestVerificationToken header.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var document = context.Document!;
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(TokenScheme, document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(CookieScheme, document)] = [] },
            ];
            operation.Responses ??= new OpenApiResponses();
            Problem(operation, "400", "Invalid request: problem details, with the fields at fault under errors.");
            Problem(operation, "401", "No valid admin token or session.");
            Problem(operation, "403", "The role (or the token's teams) does not allow it.");
            var path = context.Description.RelativePath ?? "";
            var method = context.Description.HttpMethod ?? "";
            if (path.Contains('{')) Problem(operation, "404", "No such resource, or not one the caller may see.");
            if (method is "PUT" or "PATCH" or "DELETE")
            {
                Problem(operation, "412", "If-Match does not match: the resource changed since it was read.");
                Problem(operation, "428", "If-Match is missing.");
                Header(operation, "If-Match", "The ETag of the last GET of this resource.", required: true);
            }
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<ManagementApi.IdempotentMarker>().Any())
            {
                Problem(operation, "409", "A request with the same Idempotency-Key is still running, or the thing exists already.");
                Problem(operation, "422", "The Idempotency-Key was used with a different request.");
                Header(operation, Idempotency.Header, "Any unique string: the same key and body again replays the first answer (for 24 hours).", required: false);
            }
            return Task.CompletedTask;
        });
    }

    private static void Problem(OpenApiOperation operation, string status, string description)
    {
        if (operation.Responses!.ContainsKey(status)) return;
        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = ProblemSchema() } },
        };
    }

    private static void Header(OpenApiOperation operation, string name, string description, bool required)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name, In = ParameterLocation.Header, Required = required, Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
    }

    /// <summary>RFC 9457's members (validation problems add <c>errors</c>: field → messages).</summary>
    private static OpenApiSchema ProblemSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };
}
