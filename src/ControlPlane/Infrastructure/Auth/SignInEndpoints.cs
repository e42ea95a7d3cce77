using System.Security.Claims;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth.Oidc;
using ControlPlane.Infrastructure.Auth.Sso;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ControlPlane.Infrastructure.Auth;

/// <summary>Sign-out for everyone; dev sign-in (pick a demo user) only where AuthSetup maps it.</summary>
public static partial class SignInEndpoints
{
    public const string DevSignInPath = "/dev/sign-in";

    public static void MapSignOutEndpoint(this IEndpointRouteBuilder app) =>
        app.MapPost("/sign-out", SignOut)
            .RequireAuthorization(Policies.SignedIn).WithMetadata(new RequireAntiforgeryTokenAttribute());

    /// <summary><c>GET /sign-in/{name}?returnUrl=/x</c>: starts sign-in at that identity provider (OIDC or SAML).</summary>
    public static void MapSsoSignInEndpoint(this IEndpointRouteBuilder app) =>
        app.MapGet(AuthSetup.SignInPath + "/{name}", SsoSignInStart).AllowAnonymous();

    public static void MapDevSignInEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost(DevSignInPath, DevSignIn).AllowAnonymous();

    private static async Task<IResult> SsoSignInStart(string name, string? returnUrl, SsoProviders providers)
    {
        if (await providers.FindAsync(name) is not { } provider)
            return TypedResults.Redirect(SsoSignIn.SignInPageFor(SignInFailure.UnknownProvider));
        return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = IsLocal(returnUrl) ? returnUrl : "/" }, [provider.Scheme]);
    }

    private static async Task SignOut(HttpContext http, SessionCheck sessions, ILoggerFactory logs)
    {
        // The antiforgery middleware only records its verdict; endpoints that bind no form must read it.
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        // Signed in through an OIDC provider: its handler sends the browser on to the provider's end_session_endpoint
        // (with the id_token as the hint), which comes back to /signout-callback-oidc-{name} and then to /sign-in.
        var signedOutAtProvider = await SignOutAtProviderAsync(http, logs);
        // A cookie cannot be taken back from every copy of it: the person's session version moves on instead, so this
        // session (and any other of theirs) is refused from the next request on, on every node.
        if (Guid.TryParse(http.User.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
            await sessions.EndSessionsAsync(userId, http.RequestAborted);
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (!signedOutAtProvider) http.Response.Redirect(AuthSetup.SignInPath);
    }

    private static async Task<bool> SignOutAtProviderAsync(HttpContext http, ILoggerFactory logs)
    {
        var method = http.User.FindFirstValue(ClaimTypes.AuthenticationMethod);
        if (method is null || !method.StartsWith(SsoSignIn.MethodPrefix, StringComparison.Ordinal)) return false;
        var scheme = OidcSetup.SchemeFor(method[SsoSignIn.MethodPrefix.Length..]);
        if (await http.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(scheme) is null) return false;
        try
        {
            await http.SignOutAsync(scheme, new AuthenticationProperties { RedirectUri = AuthSetup.SignInPath });
            return true;
        }
        catch (InvalidOperationException e)
        {
            // The provider's metadata cannot be read or names no end_session_endpoint: the local session still ends.
            LogProviderSignOutFailed(logs.CreateLogger(typeof(SignInEndpoints)), e, scheme);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-out at identity provider {Scheme} failed; the local session is ended")]
    private static partial void LogProviderSignOutFailed(ILogger logger, Exception exception, string scheme);

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
