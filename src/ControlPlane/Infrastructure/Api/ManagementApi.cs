using ControlPlane.Features.AdminTokens;
using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Projects;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Transfers;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Antiforgery;
using Scalar.AspNetCore;

namespace ControlPlane.Infrastructure.Api;

/// <summary>
/// The management API, <c>/api/v1</c>: what the dashboard does, for scripts. Signed in by the session cookie (the
/// dashboard's own fetches) or an admin token (Features/AdminTokens); the pages' policies on every endpoint and the
/// same services behind them. Its conventions live in this folder: problem details (<see cref="ApiProblem"/>), cursor
/// pages (<see cref="ApiPaging"/>), ETag/If-Match (<see cref="ApiETag"/>), Idempotency-Key (<see cref="Idempotency"/>).
/// The OpenAPI document is at <c>/openapi/v1.json</c>, its reference page at <c>/api/reference</c>.
/// </summary>
public static class ManagementApi
{
    public const string Prefix = "/api/v1";
    public const string ReferencePath = "/api/reference";

    public static bool Covers(PathString path) => path.StartsWithSegments(Prefix);

    public static WebApplicationBuilder AddManagementApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddScoped<Idempotency>();
        builder.Services.AddOpenApi(ApiDocument.Name, ApiDocument.Configure);
        return builder;
    }

    public static WebApplication MapManagementApi(this WebApplication app)
    {
        var api = app.MapGroup(Prefix).AddEndpointFilter(CookieAntiforgeryAsync);
        api.MapTeamsApi();
        api.MapProjectsApi();
        api.MapKeysApi();
        api.MapWalletsApi();
        api.MapTransfersApi();
        api.MapAdminTokensApi();
        api.MapProvidersApi();
        api.MapPricesApi();
        api.MapAuditApi();

        // The description of the API, not its data: open, so that generators and CI read it without a token.
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference(ReferencePath, scalar => scalar
            .WithTitle("ControlPlane management API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .AllowAnonymous();
        return app;
    }

    /// <summary>A create with an Idempotency-Key answers the same way every time (<see cref="Idempotency"/>).</summary>
    public static RouteHandlerBuilder Idempotent(this RouteHandlerBuilder endpoint) =>
        endpoint.AddEndpointFilter<Idempotency>().WithMetadata(new IdempotentMarker());

    /// <summary>Marks the endpoints that honour Idempotency-Key, for the OpenAPI document.</summary>
    public sealed class IdempotentMarker;

    /// <summary>
    /// A session cookie rides along with any request a browser makes, so a cookie request that changes something must
    /// carry the antiforgery token (header <c>RequestVerificationToken</c>), as the dashboard's forms do. An admin token is
    /// sent deliberately by its holder: no antiforgery token needed.
    /// </summary>
    private static async ValueTask<object?> CookieAntiforgeryAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !HttpMethods.IsOptions(http.Request.Method)
            && http.User.Identity?.AuthenticationType != Policies.AdminTokenScheme
            && !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
            return ApiProblem.BadRequest("A change made with a session cookie needs the antiforgery token in the RequestVerificationToken header; scripts use an admin token instead.");
        return await next(context);
    }

    /// <summary>The actor of the request, as the pages make it.</summary>
    public static Actor ActorOf(HttpContext http) => Actor.From(http.User);

    /// <summary>
    /// A service's refusal as the right problem. The services say why in words (they serve the pages too): a refusal of
    /// rights starts "Only …" or "You can … only", a missing thing "no longer exists"/"No such"/"No … matches", a clash
    /// "already"; anything else is bad input.
    /// </summary>
    public static IResult Refusal(string error, int otherwise = StatusCodes.Status400BadRequest) =>
        error.StartsWith("Only ", StringComparison.Ordinal) || (error.StartsWith("You can ", StringComparison.Ordinal) && error.Contains(" only", StringComparison.Ordinal))
            ? ApiProblem.Forbidden(error)
        : error.Contains("no longer exists", StringComparison.Ordinal) || error.StartsWith("No such", StringComparison.Ordinal) || error.StartsWith("No key matches", StringComparison.Ordinal)
            ? ApiProblem.NotFound(error)
        : error.Contains("already", StringComparison.Ordinal) ? ApiProblem.Conflict(error)
        : ApiProblem.Of(otherwise, otherwise == StatusCodes.Status409Conflict ? "Conflict" : "Invalid request", error);
}
