using System.Text.Encodings.Web;
using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.AdminTokens;

/// <summary>
/// <c>Authorization: Bearer cp_admin_…</c> on the management API (scheme <see cref="Policies.AdminTokenScheme"/>). The
/// cookie scheme forwards to it for such requests under <c>/api/v1</c> (<see cref="AdminTokensFeature"/>), so every
/// existing policy and service applies unchanged: the principal has the cookie sign-in's shape. A refused token is
/// answered 401 with a problem body and logged (never the token itself).
/// </summary>
public sealed partial class AdminTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminTokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The cookie's forward selector: an admin token on the API goes here; everything else stays with the cookie.</summary>
    public static string? Select(HttpContext http) =>
        ManagementApi.Covers(http.Request.Path) && PresentedToken(http.Request) is not null ? Policies.AdminTokenScheme : null;

    private static string? PresentedToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var presented = header["Bearer ".Length..].Trim();
        return AdminTokenService.LooksLikeToken(presented) ? presented : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (PresentedToken(Request) is not { } presented) return AuthenticateResult.NoResult();
        var (principal, refusal) = await tokens.SignInAsync(presented, $"{Request.Method} {Request.Path}", Context.RequestAborted);
        if (principal is null)
        {
            LogRefused(Logger, Request.Method, Request.Path, refusal!, Context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            Context.Items[RefusalItem] = refusal;
            return AuthenticateResult.Fail(refusal!);
        }
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Policies.AdminTokenScheme));
    }

    private const string RefusalItem = "cp:admin_token_refusal";

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer realm=\"controlplane-api\"";
        var why = Context.Items[RefusalItem] as string;
        return ApiProblem.Unauthorized(why is null ? "An admin token (Authorization: Bearer cp_admin_…) or a signed-in session is required."
            : $"The admin token was refused: {why}.").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblem.Forbidden("This token's role does not allow that.").ExecuteAsync(Context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin token refused on {Method} {Path}: {Reason} (from {RemoteAddress})")]
    private static partial void LogRefused(ILogger logger, string method, string path, string reason, string remoteAddress);
}

public static class AdminTokensFeature
{
    public static WebApplicationBuilder AddAdminTokens(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<AdminTokenService>();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, AdminTokenAuthentication>(Policies.AdminTokenScheme, null);
        // The cookie stays the default scheme; for an admin token on /api/v1 it hands the request to the token's scheme.
        // A cookie request the API refuses gets a problem body rather than an empty 401/403.
        builder.Services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, cookie =>
        {
            cookie.ForwardDefaultSelector = AdminTokenAuthentication.Select;
            var toSignIn = cookie.Events.OnRedirectToLogin;
            var toDenied = cookie.Events.OnRedirectToAccessDenied;
            cookie.Events.OnRedirectToLogin = ctx => ManagementApi.Covers(ctx.Request.Path)
                ? ApiProblem.Unauthorized("Sign in, or send an admin token (Authorization: Bearer cp_admin_…).").ExecuteAsync(ctx.HttpContext)
                : toSignIn(ctx);
            cookie.Events.OnRedirectToAccessDenied = ctx => ManagementApi.Covers(ctx.Request.Path)
                ? ApiProblem.Forbidden("Your role does not allow that.").ExecuteAsync(ctx.HttpContext)
                : toDenied(ctx);
        });
        return builder;
    }
}
