using System.Security.Claims;
using ControlPlane.Infrastructure.Auth.Sso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace ControlPlane.Infrastructure.Auth.Oidc;

/// <summary>
/// One OpenIdConnect scheme per <c>Auth:Oidc:{name}</c>. The handler does the protocol: authorization code with PKCE,
/// state and nonce, discovery and signing-key rotation (its ConfigurationManager re-reads the provider's metadata),
/// id_token validation, userinfo. We only name its paths and hand its verified ticket to <see cref="SsoSignIn"/>.
/// </summary>
public static partial class OidcSetup
{
    public const string SchemePrefix = "oidc-";

    /// <summary>Who the person is and their address; providers add groups by their own scope (Scopes).</summary>
    private static readonly string[] BaseScopes = ["openid", "profile", "email"];

    public static string SchemeFor(string name) => SchemePrefix + name;

    public static AuthenticationBuilder AddOidcProviders(this AuthenticationBuilder auth, IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OidcProvidersOptions>().BindConfiguration("Auth").ValidateOnStart();
        services.AddSingleton<IValidateOptions<OidcProvidersOptions>, OidcProvidersValidation>();
        var configured = new OidcProvidersOptions();
        configuration.GetSection("Auth").Bind(configured);
        foreach (var (name, provider) in configured.Oidc)
        {
            // A broken name fails validation at start; it must not break registering the valid ones before that.
            if (!OidcProvidersOptions.IsValidName(name)) continue;
            auth.AddOpenIdConnect(SchemeFor(name), provider.DisplayName ?? name, options => Configure(options, name, provider));
        }
        return auth;
    }

    private static void Configure(OpenIdConnectOptions options, string name, OidcProviderOptions provider)
    {
        options.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        options.SignOutScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        options.Authority = provider.Authority;
        options.ClientId = provider.ClientId;
        options.ClientSecret = provider.ClientSecret;
        options.RequireHttpsMetadata = provider.RequireHttpsMetadata;
        options.ResponseType = OpenIdConnectResponseType.Code;
        // The code comes back on a top-level GET (the code flow's default response mode): the correlation and nonce
        // cookies can then be SameSite=Lax and follow the request scheme, so sign-in works behind TLS and on a plain
        // http test install alike (form_post would need SameSite=None, which browsers only send over https).
        options.ResponseMode = OpenIdConnectResponseMode.Query;
        options.CorrelationCookie.SameSite = SameSiteMode.Lax;
        options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.NonceCookie.SameSite = SameSiteMode.Lax;
        options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.UsePkce = true;
        options.CallbackPath = $"/signin-oidc-{name}";
        options.SignedOutCallbackPath = $"/signout-callback-oidc-{name}";
        options.RemoteSignOutPath = $"/signout-oidc-{name}";
        options.SignedOutRedirectUri = AuthSetup.SignInPath;
        options.Scope.Clear();
        foreach (var scope in BaseScopes.Concat(provider.Scopes).Distinct(StringComparer.Ordinal))
            options.Scope.Add(scope);
        // Claims keep the provider's names (sub, email, name, groups): the contract SsoSignIn reads.
        options.MapInboundClaims = false;
        options.GetClaimsFromUserInfoEndpoint = true;
        options.ClaimActions.MapJsonKey(SsoSignIn.GroupsClaim, provider.GroupsClaim);
        options.TokenValidationParameters.NameClaimType = SsoSignIn.NameClaim;
        // The id_token stays with the session only as the hint for RP-initiated sign-out (see TicketReceived).
        options.SaveTokens = true;
        options.Events.OnTicketReceived = context => TicketReceived(context, provider.GroupsClaim);
        options.Events.OnRemoteFailure = context => context.HttpContext.RequestServices.GetRequiredService<SsoSignIn>().RemoteFailureAsync(context);
    }

    private static Task TicketReceived(TicketReceivedContext context, string groupsClaim)
    {
        if (context.Principal?.Identity is ClaimsIdentity identity && groupsClaim != SsoSignIn.GroupsClaim)
            foreach (var claim in identity.FindAll(groupsClaim).ToList())
                identity.AddClaim(new Claim(SsoSignIn.GroupsClaim, claim.Value, claim.ValueType, claim.Issuer));
        // Entra ID leaves the groups out of a token when someone is in too many (group overage) and points to Graph
        // instead: say so, since the person is about to be refused for having no mapped group.
        if (context.Principal?.FindFirst("_claim_names") is { } overage && overage.Value.Contains(groupsClaim, StringComparison.Ordinal)
            && context.Principal.FindFirst(SsoSignIn.GroupsClaim) is null)
            LogGroupOverage(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OidcSetup)), context.Scheme.Name, groupsClaim);
        if (context.Properties?.GetTokenValue(OpenIdConnectParameterNames.IdToken) is { } idToken)
            context.Properties.StoreTokens([new AuthenticationToken { Name = OpenIdConnectParameterNames.IdToken, Value = idToken }]);
        return context.HttpContext.RequestServices.GetRequiredService<SsoSignIn>().TicketReceivedAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Identity provider {Scheme} left the '{GroupsClaim}' claim out of the token (Entra ID group overage): " +
        "assign groups to the application and emit only those, or map app roles (GroupsClaim: roles)")]
    private static partial void LogGroupOverage(ILogger logger, string scheme, string groupsClaim);
}
