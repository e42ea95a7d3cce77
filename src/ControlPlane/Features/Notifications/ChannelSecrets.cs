using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace ControlPlane.Features.Notifications;

/// <summary>Encrypts channels' secrets at rest (Data Protection, key ring in the database), as provider keys are.</summary>
public sealed class ChannelSecrets(IDataProtectionProvider protection)
{
    private readonly IDataProtector _protector = protection.CreateProtector("ControlPlane.ChannelSecrets.v1");

    public string? Protect(ChannelSecret secret) =>
        secret.Url is null && secret.Password is null && secret.SigningSecret is null ? null : _protector.Protect(JsonSerializer.Serialize(secret));

    public ChannelSecret Unprotect(string? encrypted) =>
        string.IsNullOrEmpty(encrypted) ? new ChannelSecret() : JsonSerializer.Deserialize<ChannelSecret>(_protector.Unprotect(encrypted)) ?? new ChannelSecret();

    /// <summary>The host and the last four characters of a URL, or of a password: enough to tell two apart, never enough to use one.</summary>
    public static string? Hint(ChannelSecret secret)
    {
        if (secret.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
            return url.Length > 12 ? $"{uri.Host}/…{url[^4..]}" : $"{uri.Host}/…";
        if (secret.Password is { Length: > 0 }) return "password set";
        return null;
    }
}
