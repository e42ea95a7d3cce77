using System.Globalization;
using System.Security.Claims;
using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.People.Scim;

/// <summary>
/// /scim/v2 (RFC 7644) for identity providers: every route needs a provider's SCIM bearer token (<see cref="Policies.ScimClient"/>),
/// answers in application/scim+json, and turns a refused request into a SCIM error body.
/// </summary>
public static class ScimEndpoints
{
    public const string Root = "/scim/v2";

    public static WebApplication MapScimEndpoints(this WebApplication app)
    {
        var scim = app.MapGroup(Root).RequireAuthorization(Policies.ScimClient).AddEndpointFilter(RefusalsAsScimErrors).DisableAntiforgery();
        scim.MapScimUsers();
        scim.MapScimGroups();
        scim.MapScimDiscovery();
        return app;
    }

    /// <summary>The provider the request's token speaks for.</summary>
    public static string ProviderOf(HttpContext http) => http.User.FindFirstValue(Policies.ScimProviderClaim)!;

    /// <summary>Absolute base of the SCIM routes, for resources' meta.location and members' $ref.</summary>
    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}{Root}";

    /// <summary>startIndex is 1-based (values below 1 mean 1); count defaults to 100 and is capped at 200 (RFC 7644 §3.4.2.4).</summary>
    public static (int StartIndex, int Count) Paging(HttpRequest request)
    {
        var start = int.TryParse(request.Query["startIndex"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? Math.Max(1, s) : 1;
        var count = int.TryParse(request.Query["count"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? Math.Clamp(c, 0, 200) : 100;
        return (start, count);
    }

    private static async ValueTask<object?> RefusalsAsScimErrors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ScimException problem)
        {
            return ScimResults.Error(problem);
        }
        catch (BadHttpRequestException bad)
        {
            return ScimResults.Error(StatusCodes.Status400BadRequest, "invalidSyntax", bad.Message);
        }
    }
}
