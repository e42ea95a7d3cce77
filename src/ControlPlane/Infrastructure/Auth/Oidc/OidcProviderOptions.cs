using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth.Oidc;

/// <summary>
/// <c>Auth:Oidc:{name}</c>: one OpenID Connect identity provider (Okta, Entra ID, …). Its sign-in scheme is
/// <c>oidc-{name}</c>, its redirect URI <c>/signin-oidc-{name}</c>, its post-logout redirect URI
/// <c>/signout-callback-oidc-{name}</c>.
/// </summary>
public sealed class OidcProviderOptions
{
    /// <summary>The button's label on the sign-in page; the name when empty.</summary>
    public string? DisplayName { get; set; }
    /// <summary>The issuer; discovery is read from {Authority}/.well-known/openid-configuration.</summary>
    public string Authority { get; set; } = "";
    public string ClientId { get; set; } = "";
    public string ClientSecret { get; set; } = "";
    /// <summary>Scopes beyond openid, profile and email (e.g. "groups" for Okta).</summary>
    public List<string> Scopes { get; set; } = [];
    /// <summary>The id_token / userinfo claim that lists the person's groups or app roles (Entra app roles: "roles").</summary>
    public string GroupsClaim { get; set; } = "groups";
    /// <summary>Only a test provider on this machine may be plain http.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}

/// <summary>Every configured OIDC provider, by name (bound from <c>Auth</c>, so the section's shape is the contract's).</summary>
public sealed partial class OidcProvidersOptions
{
    public const string Section = "Auth:Oidc";

    public Dictionary<string, OidcProviderOptions> Oidc { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Provider names become schemes and paths: letters, digits, '-' and '_' only.</summary>
    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ValidName();

    /// <summary>Every broken setting, each named by its path, so the app refuses to start on a typo.</summary>
    public IEnumerable<string> Problems(IEnumerable<string> samlNames)
    {
        var saml = samlNames.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, p) in Oidc)
        {
            var at = $"{Section}:{name}";
            if (!IsValidName(name)) yield return $"{at}: the name may hold only letters, digits, '-' and '_' (it becomes the path /signin-oidc-{{name}}).";
            if (saml.Contains(name)) yield return $"{at}: the name is also used under Auth:Saml; provider names must be unique across both.";
            if (!Uri.TryCreate(p.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
                yield return $"{at}:Authority '{p.Authority}' is not an absolute https URL (the issuer, e.g. https://acme.okta.com).";
            else if (authority.Scheme == "http" && p.RequireHttpsMetadata)
                yield return $"{at}:Authority must be https (set {at}:RequireHttpsMetadata to false only for a test provider on this machine).";
            if (string.IsNullOrWhiteSpace(p.ClientId)) yield return $"{at}:ClientId is empty.";
            if (string.IsNullOrWhiteSpace(p.ClientSecret)) yield return $"{at}:ClientSecret is empty (the code flow authenticates this app to the provider).";
            if (string.IsNullOrWhiteSpace(p.GroupsClaim)) yield return $"{at}:GroupsClaim is empty (default: groups).";
        }
    }
}

/// <summary>Refuses to start on a broken OIDC provider, naming the setting.</summary>
internal sealed class OidcProvidersValidation(IConfiguration configuration) : IValidateOptions<OidcProvidersOptions>
{
    public ValidateOptionsResult Validate(string? name, OidcProvidersOptions options)
    {
        var samlNames = configuration.GetSection("Auth:Saml").GetChildren().Select(c => c.Key);
        return options.Problems(samlNames).ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
