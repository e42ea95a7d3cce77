using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>
/// Checked at start: every <c>Gateway:AllowedProviderAddresses</c> entry parses, and every provider in configuration
/// points where <see cref="ProviderAddressPolicy"/> allows. Naming a provider in configuration does not make a loopback
/// or private address safe; the operator allows that address as well, on purpose.
/// </summary>
public sealed class ProviderAddressValidation : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.AllowedProviderAddresses.Count; i++)
            if (!AllowedProviderAddress.TryParse(options.AllowedProviderAddresses[i], out _, out var problem))
                failures.Add($"{ProviderAddressPolicy.Setting}:{i}: {problem}");
        if (failures.Count > 0) return ValidateOptionsResult.Fail(failures);

        var policy = new ProviderAddressPolicy(options.AllowedProviderAddresses);
        foreach (var (providerName, provider) in options.Providers)
        {
            var setting = $"{GatewayOptions.Section}:Providers:{providerName}:BaseUrl";
            if (!Uri.TryCreate(provider.BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                failures.Add($"{setting} '{provider.BaseUrl}' is not an absolute http(s) URL.");
            else if (policy.CheckUrl(url) is { } refused)
                failures.Add($"{setting} '{provider.BaseUrl}': {refused}");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
