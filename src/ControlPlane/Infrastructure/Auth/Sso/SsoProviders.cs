using ControlPlane.Infrastructure.Auth.Oidc;
using Microsoft.AspNetCore.Authentication;

namespace ControlPlane.Infrastructure.Auth.Sso;

/// <summary>A configured identity provider, as the sign-in page offers it.</summary>
public sealed record SsoProvider(string Name, string DisplayName, string Protocol, string Scheme)
{
    public string SignInPath => $"{AuthSetup.SignInPath}/{Uri.EscapeDataString(Name)}";
}

/// <summary>The identity providers configured under <c>Auth:Oidc</c> and <c>Auth:Saml</c> that have a sign-in scheme.</summary>
public sealed class SsoProviders(IConfiguration configuration, IAuthenticationSchemeProvider schemes)
{
    public const string SamlSchemePrefix = "saml-";

    public async Task<IReadOnlyList<SsoProvider>> ListAsync()
    {
        var found = new List<SsoProvider>();
        foreach (var (section, protocol, prefix) in new[] { ("Auth:Oidc", "OIDC", OidcSetup.SchemePrefix), ("Auth:Saml", "SAML", SamlSchemePrefix) })
        {
            foreach (var provider in configuration.GetSection(section).GetChildren())
            {
                // Only providers whose handler is registered: a section without one offers no button that fails.
                if (await schemes.GetSchemeAsync(prefix + provider.Key) is null) continue;
                var display = provider["DisplayName"];
                found.Add(new SsoProvider(provider.Key, string.IsNullOrWhiteSpace(display) ? provider.Key : display, protocol, prefix + provider.Key));
            }
        }
        return found;
    }

    public async Task<SsoProvider?> FindAsync(string name) =>
        (await ListAsync()).FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
