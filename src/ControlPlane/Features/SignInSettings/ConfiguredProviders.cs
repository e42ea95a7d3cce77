namespace ControlPlane.Features.SignInSettings;

/// <summary>One identity provider as configured under Auth:Oidc:{name} or Auth:Saml:{name}, its settings as text.</summary>
/// <param name="Name">The key under Auth:Oidc or Auth:Saml.</param>
/// <param name="Protocol">OIDC or SAML.</param>
/// <param name="DisplayName">What the sign-in page calls it.</param>
/// <param name="Settings">Every setting of the section (nested keys as "Scopes:0"), secrets already masked.</param>
public sealed record ConfiguredProvider(string Name, string Protocol, string DisplayName, IReadOnlyList<KeyValuePair<string, string>> Settings)
{
    public bool IsSaml => Protocol == ConfiguredProviders.Saml;

    /// <summary>Where the provider's test sign-in starts and comes back to this page.</summary>
    public string TestSignInUrl => $"/sign-in/{Uri.EscapeDataString(Name)}?returnUrl={Uri.EscapeDataString("/settings/sign-in")}";

    /// <summary>The SAML service provider's metadata, for the IdP's administrator (null for OIDC).</summary>
    public string? MetadataPath => IsSaml ? $"/saml/{Uri.EscapeDataString(Name)}/metadata" : null;
}

/// <summary>
/// The identity providers read straight from configuration (appsettings.json, environment), as the sign-in handlers
/// read them. Read-only: providers are changed where they are configured. Secrets never leave this type unmasked.
/// </summary>
public sealed class ConfiguredProviders(IConfiguration configuration)
{
    public const string Oidc = "OIDC";
    public const string Saml = "SAML";
    public const string Mask = "••••••••";

    // Any setting whose name says it holds a secret: ClientSecret, SigningKeyPassword, PrivateKey, ApiKey, token…
    private static readonly string[] SecretWords = ["secret", "password", "key", "token", "credential", "pfx"];

    public IReadOnlyList<ConfiguredProvider> List() =>
    [
        .. Read("Auth:Oidc", Oidc),
        .. Read("Auth:Saml", Saml),
    ];

    public bool Exists(string name) => List().Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The provider's name as configured (its spelling), or null when none is named so.</summary>
    public string? Canonical(string name) => List().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.Name;

    public static bool IsSecret(string settingPath) =>
        settingPath.Split(':').Any(part => SecretWords.Any(w => part.Contains(w, StringComparison.OrdinalIgnoreCase)));

    private IEnumerable<ConfiguredProvider> Read(string section, string protocol) =>
        configuration.GetSection(section).GetChildren().OrderBy(c => c.Key, StringComparer.OrdinalIgnoreCase).Select(provider =>
        {
            var settings = provider.AsEnumerable(makePathsRelative: true)
                .Where(kv => kv.Value is not null)
                .OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
                .Select(kv => KeyValuePair.Create(kv.Key, IsSecret(kv.Key) && kv.Value!.Length > 0 ? Mask : kv.Value!))
                .ToList();
            return new ConfiguredProvider(provider.Key, protocol, provider["DisplayName"] ?? provider.Key, settings);
        });
}
