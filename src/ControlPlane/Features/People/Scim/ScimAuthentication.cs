using System.Security.Claims;
using System.Text.Encodings.Web;
using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.People.Scim;

/// <summary>
/// The SCIM client's bearer token (scheme <see cref="SchemeName"/>): a valid, unrevoked token signs the request in as its
/// identity provider. A missing, unknown or revoked token is audited (never the token itself) and answered with a SCIM
/// 401 error.
/// </summary>
public sealed partial class ScimAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ScimTokens tokens, AuditLog audit, IDbContextFactory<ControlPlaneDb> dbFactory)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = Policies.ScimScheme;
    public const string ProviderClaim = Policies.ScimProviderClaim;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        var provider = presented.Length is > 0 and <= 200 ? await tokens.ProviderOfAsync(presented, Context.RequestAborted) : null;
        if (provider is null)
        {
            var reason = presented.Length == 0 ? "no bearer token" : "unknown or revoked token";
            var from = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            LogRefused(Logger, Request.Method, Request.Path, reason, from);
            await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
            await audit.SaveAsync(db, $"scim:{from}", "scim.token_refused", $"scim:{Request.Path}", $"{Request.Method} refused: {reason}", Context.RequestAborted);
            return AuthenticateResult.Fail(reason);
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, $"scim:{provider}"), new Claim(ProviderClaim, provider)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer realm=\"scim\"";
        return ScimResults.Error(StatusCodes.Status401Unauthorized, null, "A valid SCIM bearer token is required.").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ScimResults.Error(StatusCodes.Status403Forbidden, null, "This token may not do that.").ExecuteAsync(Context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SCIM {Method} {Path} refused: {Reason} (from {RemoteAddress})")]
    private static partial void LogRefused(ILogger logger, string method, string path, string reason, string remoteAddress);
}
