namespace ControlPlane.Infrastructure.Auth;

/// <summary>The "Auth" section. Identity providers (OIDC, SAML) plug in here; until one is set, only dev sign-in.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Dev sign-in lets anyone pick a demo user. It is only ever mapped in Development.</summary>
    public bool DevSignIn { get; set; } = true;

    public bool DevSignInAvailable(IHostEnvironment environment) => DevSignIn && environment.IsDevelopment();

    /// <summary>
    /// How long a node trusts a session's person, role and session version before it reads them again (requests and
    /// open dashboard circuits alike): a demotion or a sign-out elsewhere takes effect within this.
    /// </summary>
    public int RevalidateSeconds { get; set; } = 30;
}
