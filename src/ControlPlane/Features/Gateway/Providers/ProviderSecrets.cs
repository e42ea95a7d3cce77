using Microsoft.AspNetCore.DataProtection;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>Encrypts provider API keys at rest (Data Protection, key ring in the database) and shows only a hint.</summary>
public sealed class ProviderSecrets(IDataProtectionProvider protection)
{
    private readonly IDataProtector _protector = protection.CreateProtector("ControlPlane.ProviderSecrets.v1");

    public string Protect(string apiKey) => _protector.Protect(apiKey);

    public string? Unprotect(string? encrypted) => string.IsNullOrEmpty(encrypted) ? null : _protector.Unprotect(encrypted);

    /// <summary>The last four characters, enough to tell two keys apart, never enough to use one.</summary>
    public static string Hint(string apiKey) => apiKey.Length <= 8 ? "…" : "…" + apiKey[^4..];
}
