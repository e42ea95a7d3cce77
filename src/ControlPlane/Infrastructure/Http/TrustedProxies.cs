using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Http;

/// <summary>
/// The "ForwardedHeaders" section: which proxies may say, in X-Forwarded-For and X-Forwarded-Proto, who the client is
/// and that it came over TLS. Behind a TLS-terminating proxy that is not on loopback, name it here, or the app sees
/// plain http: no HSTS, and the session cookie is not marked Secure. Nothing named: loopback only.
/// </summary>
public sealed class TrustedProxyOptions : IValidatableObject
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies, e.g. "10.0.0.5".</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR form, e.g. "10.0.0.0/16".</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
            yield return new ValidationResult($"ForwardedHeaders:KnownProxies has '{proxy}', which is not an IP address.", [nameof(KnownProxies)]);
        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            yield return new ValidationResult($"ForwardedHeaders:KnownNetworks has '{network}', which is not a network in CIDR form (e.g. 10.0.0.0/16).", [nameof(KnownNetworks)]);
    }
}

public static class TrustedProxies
{
    /// <summary>X-Forwarded-For and -Proto from loopback, plus the proxies and networks configured (validated at start).</summary>
    public static WebApplicationBuilder AddTrustedProxies(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TrustedProxyOptions>()
            .BindConfiguration(TrustedProxyOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IConfigureOptions<ForwardedHeadersOptions>, ConfigureForwardedHeaders>();
        return builder;
    }

    private sealed class ConfigureForwardedHeaders(IOptions<TrustedProxyOptions> trusted) : IConfigureOptions<ForwardedHeadersOptions>
    {
        public void Configure(ForwardedHeadersOptions options)
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults (127.0.0.1/8 and ::1) stay: a proxy on the same machine is trusted as before.
            foreach (var proxy in trusted.Value.KnownProxies)
                if (IPAddress.TryParse(proxy, out var address)) options.KnownProxies.Add(address);
            foreach (var network in trusted.Value.KnownNetworks)
                if (System.Net.IPNetwork.TryParse(network, out var parsed)) options.KnownIPNetworks.Add(parsed);
        }
    }
}
