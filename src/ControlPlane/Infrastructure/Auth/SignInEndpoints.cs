using System.Security.Claims;
using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Auth.Oidc;
using ControlPlane.Infrastructure.Auth.Sso;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

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

    private static async Task SignOut(HttpContext http, SessionCheck sessions, ILoggerFactory logs, AuditLog audit, IDbContextFactory<ControlPlaneDb> dbs)
    {
        // The antiforgery middleware only records its verdict; endpoints that bind no form must read it.
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        var who = Actor.From(http.User).Name;
        // Signed in through an OIDC provider: its handler sends the browser on to the provider's end_session_endpoint
        // (with the id_token as the hint), which comes back to /signout-callback-oidc-{name} and then to /sign-in.
        var signedOutAtProvider = await SignOutAtProviderAsync(http, logs);
        // A cookie cannot be taken back from every copy of it: the person's session version moves on instead, so this
        // session (and any other of theirs) is refused from the next request on, on every node.
        if (Guid.TryParse(http.User.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
            await sessions.EndSessionsAsync(userId, http.RequestAborted);
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        await AuditAsync(dbs, audit, who, "user.signed_out", userId == Guid.Empty ? "user:unknown" : $"user:{userId}",
            signedOutAtProvider ? "signed out here and at the identity provider" : "signed out", http.RequestAborted);
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
        [FromForm] Guid userId, [FromForm] string? returnUrl, HttpContext http, PeopleDirectory people, AuditLog audit, IDbContextFactory<ControlPlaneDb> dbs)
    {
        var user = await people.FindAsync(userId, http.RequestAborted);
        if (user is null)
        {
            await AuditAsync(dbs, audit, "dev-sign-in", "user.sign_in_refused", $"user:{userId}", "development sign-in: no such demo user", http.RequestAborted);
            return TypedResults.BadRequest("No such demo user.");
        }
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, PeopleDirectory.PrincipalFor(user, "dev"));
        await AuditAsync(dbs, audit, user.Email, "user.signed_in", $"user:{user.Id}", $"development sign-in as {user.Role}", http.RequestAborted);
        return TypedResults.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
    }

    /// <summary>Sign-ins and sign-outs go into the audit chain like any other action on the organisation.</summary>
    private static async Task AuditAsync(IDbContextFactory<ControlPlaneDb> dbs, AuditLog audit, string actor, string action, string target, string details, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await audit.SaveAsync(db, actor, action, target, details, ct);
    }

    /// <summary>Only paths on this site: never an open redirect to another host.</summary>
    internal static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));
}
