using System.Text.RegularExpressions;
using ControlPlane.Infrastructure.Auth.Sso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>One auth scheme <c>saml-{name}</c> per <c>Auth:Saml:{name}</c> section, validated at start.</summary>
public static partial class SamlSetup
{
    public static AuthenticationBuilder AddSamlProviders(this AuthenticationBuilder auth, IConfiguration configuration)
    {
        auth.Services.TryAddSingleton(TimeProvider.System);
        auth.Services.TryAddSingleton<SamlIdpMetadataSource>();
        auth.Services.TryAddSingleton<SamlReplayCache>();
        auth.Services.AddHttpClient(SamlIdpMetadataSource.HttpClientName);
        auth.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SamlOptions>, SamlOptionsValidation>());
        auth.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<SamlOptions>, SamlStateProtection>());
        foreach (var section in configuration.GetSection(SamlOptions.Section).GetChildren())
        {
            var name = section.Key;
            auth.AddRemoteScheme<SamlOptions, SamlHandler>(SamlOptions.SchemeFor(name), section["DisplayName"] ?? name, options =>
            {
                section.Bind(options);
                options.ProviderName = name;
                options.CallbackPath = SamlOptions.AcsPathFor(name);
                // Who the person is here, and where a refusal sends them: the same for every protocol.
                SsoSignIn.Attach(options.Events);
            });
            auth.Services.AddOptions<SamlOptions>(SamlOptions.SchemeFor(name)).ValidateOnStart();
        }
        return auth;
    }

    /// <summary>The SAML providers' names, as configured.</summary>
    public static IEnumerable<string> ProviderNames(IConfiguration configuration) =>
        configuration.GetSection(SamlOptions.Section).GetChildren().Select(s => s.Key);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,40}$")]
    internal static partial Regex ProviderNamePattern();
}

internal sealed class SamlOptionsValidation : IValidateOptions<SamlOptions>
{
    public ValidateOptionsResult Validate(string? name, SamlOptions options)
    {
        if (name is null || !name.StartsWith(SamlOptions.SchemePrefix, StringComparison.Ordinal)) return ValidateOptionsResult.Skip;
        var problems = options.Problems().ToList();
        if (!SamlSetup.ProviderNamePattern().IsMatch(options.ProviderName))
            problems.Add($"{SamlOptions.Section}:{options.ProviderName}: a provider's name may hold only letters, digits, '-' and '_' (it is part of URLs).");
        return problems.Count > 0 ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}

/// <summary>The RelayState is protected with the app's Data Protection keys, shared by every node.</summary>
internal sealed class SamlStateProtection(IDataProtectionProvider dataProtection) : IPostConfigureOptions<SamlOptions>
{
    public void PostConfigure(string? name, SamlOptions options) =>
        options.StateDataFormat ??= new PropertiesDataFormat(dataProtection.CreateProtector(typeof(SamlHandler).FullName!, name ?? "", "v1"));
}
