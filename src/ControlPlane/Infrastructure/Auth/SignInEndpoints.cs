using System.Security.Claims;
using ControlPlane.Features.People;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ControlPlane.Infrastructure.Auth;

/// <summary>Sign-out for everyone; dev sign-in (pick a demo user) only where AuthSetup maps it.</summary>
public static class SignInEndpoints
{
    public const string DevSignInPath = "/dev/sign-in";

    public static void MapSignOutEndpoint(this IEndpointRouteBuilder app) =>
        app.MapPost("/sign-out", SignOut)
            .RequireAuthorization(Policies.SignedIn).WithMetadata(new RequireAntiforgeryTokenAttribute());

    public static void MapDevSignInEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost(DevSignInPath, DevSignIn).AllowAnonymous();

    private static async Task SignOut(HttpContext http, SessionCheck sessions)
    {
        // The antiforgery middleware only records its verdict; endpoints that bind no form must read it.
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        // A cookie cannot be taken back from every copy of it: the person's session version moves on instead, so this
        // session (and any other of theirs) is refused from the next request on, on every node.
        if (Guid.TryParse(http.User.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
            await sessions.EndSessionsAsync(userId, http.RequestAborted);
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        http.Response.Redirect(AuthSetup.SignInPath);
    }

    // [FromForm] makes the endpoint validate the antiforgery token that the dev sign-in page renders.
    private static async Task<Results<RedirectHttpResult, BadRequest<string>>> DevSignIn(
        [FromForm] Guid userId, [FromForm] string? returnUrl, HttpContext http, PeopleDirectory people)
    {
        var user = await people.FindAsync(userId, http.RequestAborted);
        if (user is null)
            return TypedResults.BadRequest("No such demo user.");
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, PeopleDirectory.PrincipalFor(user, "dev"));
        return TypedResults.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
    }

    /// <summary>Only paths on this site: never an open redirect to another host.</summary>
    internal static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));
}
