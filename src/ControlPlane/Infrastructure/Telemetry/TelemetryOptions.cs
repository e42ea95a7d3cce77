using System.ComponentModel.DataAnnotations;
using System.Net;

namespace ControlPlane.Infrastructure.Telemetry;

/// <summary>
/// <c>Metrics:*</c>: the Prometheus scrape endpoint <c>/metrics</c>. Off unless a token or a port is set, so a fresh
/// deployment exposes nothing; with both, a scrape needs both (the port and the token).
/// </summary>
public sealed class MetricsOptions : IValidatableObject
{
    public const string Section = "Metrics";

    /// <summary>A scraper sends it as <c>Authorization: Bearer …</c>. At least 16 characters; from a secret store, not the file.</summary>
    public string? Token { get; set; }

    /// <summary>A second Kestrel endpoint for /metrics only (e.g. 9464); the app's own endpoints do not answer /metrics then.</summary>
    [Range(1, 65535, ErrorMessage = "Metrics:Port must be a TCP port (1-65535).")]
    public int? Port { get; set; }

    /// <summary>Where the management port listens: loopback unless a scraper on another host needs it.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>
    /// At most this many wallets get a utilisation series: the most used first, so a wallet near exhaustion is always
    /// among them. Bounds the cardinality however many keys and projects have wallets.
    /// </summary>
    [Range(0, 10_000, ErrorMessage = "Metrics:WalletSeries must be between 0 and 10000.")]
    public int WalletSeries { get; set; } = 50;

    public bool Enabled => !string.IsNullOrEmpty(Token) || Port is not null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Token is { Length: > 0 and < 16 })
            yield return new ValidationResult("Metrics:Token must be at least 16 characters (a random secret; e.g. `openssl rand -hex 24`).", [nameof(Token)]);
        if (Port is not null && !IPAddress.TryParse(Address, out _))
            yield return new ValidationResult($"Metrics:Address must be an IP address to listen on (e.g. 127.0.0.1 or 0.0.0.0), not '{Address}'.", [nameof(Address)]);
    }
}

/// <summary><c>Otel:*</c>: OpenTelemetry export over OTLP. Off unless <see cref="Endpoint"/> is set.</summary>
public sealed class OtelOptions : IValidatableObject
{
    public const string Section = "Otel";

    /// <summary>The collector, e.g. http://127.0.0.1:4317 (gRPC) or http://127.0.0.1:4318 (with Protocol http/protobuf).</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public string Protocol { get; set; } = "grpc";

    /// <summary>Share of traces kept when the caller did not decide (a caller's sampled flag is followed).</summary>
    [Range(0.0, 1.0, ErrorMessage = "Otel:SampleRatio must be between 0 and 1.")]
    public double SampleRatio { get; set; } = 1.0;

    /// <summary>The service.name resource attribute.</summary>
    public string ServiceName { get; set; } = "controlplane";

    public bool Enabled => !string.IsNullOrEmpty(Endpoint);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && !(Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            yield return new ValidationResult($"Otel:Endpoint must be an absolute http(s) URL of an OTLP collector, not '{Endpoint}'.", [nameof(Endpoint)]);
        if (Protocol is not ("grpc" or "http/protobuf"))
            yield return new ValidationResult($"Otel:Protocol must be 'grpc' or 'http/protobuf', not '{Protocol}'.", [nameof(Protocol)]);
    }
}
