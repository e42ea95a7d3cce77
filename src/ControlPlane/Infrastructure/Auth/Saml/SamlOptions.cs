using Microsoft.AspNetCore.Authentication;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>
/// One SAML identity provider, bound from <c>Auth:Saml:{name}</c>. Auth scheme <c>saml-{name}</c>, ACS
/// <c>POST /saml/{name}/acs</c>, SP metadata <c>GET /saml/{name}/metadata</c>.
/// </summary>
public sealed class SamlOptions : RemoteAuthenticationOptions
{
    public const string Section = "Auth:Saml";
    public const string SchemePrefix = "saml-";

    public static string SchemeFor(string provider) => SchemePrefix + provider;
    public static string AcsPathFor(string provider) => $"/saml/{provider}/acs";
    public static string MetadataPathFor(string provider) => $"/saml/{provider}/metadata";

    /// <summary>The key under <c>Auth:Saml</c>; set by the set-up, not by configuration.</summary>
    public string ProviderName { get; set; } = "";

    public string? DisplayName { get; set; }

    /// <summary>Where the IdP publishes its metadata (its signing certificates come only from there).</summary>
    public string? IdpMetadataUrl { get; set; }

    /// <summary>The IdP's metadata as a file, for IdPs whose metadata is not published at a URL.</summary>
    public string? IdpMetadataFile { get; set; }

    /// <summary>Our entity id: the audience every assertion must be addressed to.</summary>
    public string SpEntityId { get; set; } = "";

    public string GroupsAttribute { get; set; } = "groups";

    /// <summary>The attribute holding the e-mail address; the NameID when unset.</summary>
    public string? EmailAttribute { get; set; }

    /// <summary>The attribute holding the display name; the e-mail address when unset.</summary>
    public string? NameAttribute { get; set; }

    /// <summary>Accept Responses nobody here asked for (no InResponseTo). Off: they cannot be tied to a browser.</summary>
    public bool AllowIdpInitiated { get; set; }

    /// <summary>How far the IdP's clock may be from ours when checking NotBefore / NotOnOrAfter.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often metadata fetched from <see cref="IdpMetadataUrl"/> is read again (key rotation).</summary>
    public TimeSpan MetadataRefreshInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A fetch of the IdP's metadata gives up after this long.</summary>
    public TimeSpan MetadataTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Metadata larger than this is refused (an IdP's document is a few kilobytes).</summary>
    public int MetadataMaxBytes { get; set; } = 512 * 1024;

    /// <summary>A posted SAMLResponse larger than this (base64) is refused before it is decoded.</summary>
    public int ResponseMaxBytes { get; set; } = 256 * 1024;

    /// <summary>Protects the RelayState (our AuthenticationProperties, with the request id). Set by the set-up.</summary>
    public ISecureDataFormat<AuthenticationProperties> StateDataFormat { get; set; } = default!;

    public new SamlEvents Events
    {
        get => (SamlEvents)base.Events;
        set => base.Events = value;
    }

    public SamlOptions() => Events = new SamlEvents();

    /// <summary>Every broken setting, each with its configuration path.</summary>
    public IEnumerable<string> Problems()
    {
        var at = $"{Section}:{ProviderName}";
        if (string.IsNullOrWhiteSpace(SpEntityId)) yield return $"{at}:SpEntityId is empty: set it to this service provider's entity id (e.g. the SP metadata URL).";
        var hasUrl = !string.IsNullOrWhiteSpace(IdpMetadataUrl);
        var hasFile = !string.IsNullOrWhiteSpace(IdpMetadataFile);
        if (hasUrl == hasFile) yield return $"{at}: set exactly one of IdpMetadataUrl and IdpMetadataFile.";
        if (hasUrl && !(Uri.TryCreate(IdpMetadataUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)))
            yield return $"{at}:IdpMetadataUrl '{IdpMetadataUrl}' is not an http(s) URL.";
        if (hasFile && !File.Exists(IdpMetadataFile)) yield return $"{at}:IdpMetadataFile '{IdpMetadataFile}' does not exist.";
        if (string.IsNullOrWhiteSpace(GroupsAttribute)) yield return $"{at}:GroupsAttribute is empty.";
        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(10)) yield return $"{at}:ClockSkew must be between 0 and 10 minutes.";
        if (MetadataRefreshInterval < TimeSpan.FromMinutes(1)) yield return $"{at}:MetadataRefreshInterval must be at least a minute.";
        if (MetadataTimeout <= TimeSpan.Zero) yield return $"{at}:MetadataTimeout must be positive.";
        if (MetadataMaxBytes <= 0) yield return $"{at}:MetadataMaxBytes must be positive.";
    }
}

/// <summary>The events of the SAML handler: those of every remote handler (TicketReceived, RemoteFailure …).</summary>
public class SamlEvents : RemoteAuthenticationEvents;
