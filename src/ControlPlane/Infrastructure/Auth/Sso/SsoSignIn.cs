using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Infrastructure.Auth.Sso;

/// <summary>
/// Where every protocol handler (OIDC, SAML) hands over once it has checked what the provider sent: the verified
/// claims become an <see cref="ExternalIdentity"/>, <see cref="ExternalSignIn"/> decides, and the session gets our own
/// principal (never the provider's claims). Any failure ends at the sign-in page with a short reason and no session.
/// </summary>
public sealed partial class SsoSignIn(ExternalSignIn signIn, IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog audit, ILogger<SsoSignIn> logger)
{
    /// <summary>The claim types every handler yields (the contract): OIDC reads them as sent, SAML renames its attributes.</summary>
    public const string SubjectClaim = "sub", EmailClaim = "email", NameClaim = "name", GroupsClaim = "groups";

    /// <summary>The session's authentication method: "sso:{provider}" (sign-out finds the provider by it).</summary>
    public const string MethodPrefix = "sso:";

    /// <summary>Wires a remote scheme's events (OpenIdConnect, our SAML handler) to this class.</summary>
    public static void Attach(RemoteAuthenticationEvents events)
    {
        events.OnTicketReceived = context => context.HttpContext.RequestServices.GetRequiredService<SsoSignIn>().TicketReceivedAsync(context);
        events.OnRemoteFailure = context => context.HttpContext.RequestServices.GetRequiredService<SsoSignIn>().RemoteFailureAsync(context);
    }

    /// <summary>The configured provider's name from its scheme: "oidc-okta" → "okta", "saml-entra" → "entra".</summary>
    public static string ProviderOf(string scheme) => scheme.IndexOf('-', StringComparison.Ordinal) is var dash and > 0 ? scheme[(dash + 1)..] : scheme;

    /// <summary>The sign-in page's address for a failure: only its code travels.</summary>
    public static string SignInPageFor(SignInFailure failure) => $"{AuthSetup.SignInPath}?failed={Uri.EscapeDataString(failure.Code)}";

    public async Task TicketReceivedAsync(TicketReceivedContext context)
    {
        var provider = ProviderOf(context.Scheme.Name);
        var claims = context.Principal?.Claims.ToList() ?? [];
        string Value(string type) => claims.FirstOrDefault(c => c.Type == type)?.Value?.Trim() ?? "";
        var identity = new ExternalIdentity(provider, Value(SubjectClaim), Value(EmailClaim), Value(NameClaim),
            [.. claims.Where(c => c.Type == GroupsClaim).Select(c => c.Value).Where(g => !string.IsNullOrWhiteSpace(g)).Distinct(StringComparer.Ordinal)]);

        var result = await signIn.SignInAsync(identity, context.HttpContext.RequestAborted);
        if (result.User is null)
        {
            context.Response.Redirect(SignInPageFor(result.Failure ?? SignInFailure.NotVerified));
            context.HandleResponse();
            return;
        }
        context.Principal = PeopleDirectory.PrincipalFor(result.User, MethodPrefix + provider);
        // Only a path on this site: the return address came back through the provider.
        if (!SignInEndpoints.IsLocal(context.ReturnUri)) context.ReturnUri = "/";
    }

    /// <summary>
    /// The handler refused what came back (bad signature, audience, issuer, expiry, state or nonce replayed, the user
    /// cancelled): logged and audited with the reason, never a token, and the person is sent back to sign in.
    /// </summary>
    public async Task RemoteFailureAsync(RemoteFailureContext context)
    {
        var provider = ProviderOf(context.Scheme.Name);
        var reason = Shorten(context.Failure?.Message ?? "unknown failure");
        var failure = reason.Contains("access_denied", StringComparison.Ordinal) ? SignInFailure.Cancelled : SignInFailure.NotVerified;
        LogRemoteFailure(logger, provider, reason);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(context.HttpContext.RequestAborted);
            await audit.SaveAsync(db, $"sso:{provider}", "user.sign_in_refused", $"sso:{provider}", $"{failure.Code}: {reason}", context.HttpContext.RequestAborted);
        }
        catch (DbUpdateException e)
        {
            LogAuditFailed(logger, e, provider);
        }
        context.Response.Redirect(SignInPageFor(failure));
        context.HandleResponse();
    }

    /// <summary>The handlers' messages name what failed; the first line is enough and keeps the audit entry small.</summary>
    private static string Shorten(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "…";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in through identity provider {Provider} refused, no session started: {Reason}")]
    private static partial void LogRemoteFailure(ILogger logger, string provider, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A refused sign-in through {Provider} could not be audited")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string provider);
}
