using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Features.Gateway;

public enum UnpricedModelPolicy
{
    /// <summary>Refuse calls to a model with no price (the default): nothing is ever costed at $0.</summary>
    Refuse,
    /// <summary>Allow them, and flag every such call as unpriced in the call log.</summary>
    AllowAndFlag,
}

/// <summary>The "Gateway" section.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    [Range(1024, 512 * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = 8 * 1024 * 1024;

    public UnpricedModelPolicy UnpricedModels { get; set; } = UnpricedModelPolicy.Refuse;

    /// <summary>
    /// Output tokens held when a caller sets no max_tokens, and sent to the provider as its output cap (every kind), so
    /// the answer cannot be longer than what was held.
    /// </summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxOutputTokens { get; set; } = 4096;

    /// <summary>The worst cases behind each call's input-token bound (see <see cref="InputBound"/>).</summary>
    public InputBoundOptions InputBounds { get; set; } = new();

    /// <summary>Capacity of the queue between the gateway and the call-log writer; when full, calls wait.</summary>
    [Range(16, 1_000_000)]
    public int CallLogCapacity { get; set; } = 20_000;

    /// <summary>
    /// Refusal rows (one per key, reason and minute, with a count) counted and not yet written: the refusals' own
    /// bound, apart from <see cref="CallLogCapacity"/>, so refused calls never take a served call's room. When it is
    /// full, a refusal that needs a new row is dropped and counted (controlplane.calls.refusals_dropped).
    /// </summary>
    [Range(1, 1_000_000)]
    public int RefusalRowCapacity { get; set; } = 2_000;

    /// <summary>
    /// Refusals of one key and reason written as rows of their own in each minute (so the Calls page shows them at
    /// once); the rest of the minute become one row with their count when the minute is over. 0: only that row.
    /// </summary>
    [Range(0, 1_000_000)]
    public int RefusalSamplesPerMinute { get; set; } = 1;

    /// <summary>
    /// How long a stopping node may take (the host's shutdown timeout): in-flight calls finish, the call log is
    /// written out, then leases are returned. A database down at that moment can make the drain take longer.
    /// </summary>
    [Range(5, 3600)]
    public int ShutdownTimeoutSeconds { get; set; } = 90;

    /// <summary>
    /// Addresses provider calls may reach although they are loopback, link-local, private or otherwise internal (denied
    /// by default): addresses or CIDR ranges, or host names, each with an optional port, e.g. "127.0.0.1:11434" for a
    /// local Ollama. See <see cref="Providers.ProviderAddressPolicy"/>.
    /// </summary>
    public List<string> AllowedProviderAddresses { get; set; } = [];

    /// <summary>Largest whole (non-streamed) chat answer, and largest model list a connection test reads, in bytes.</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int MaxProviderResponseBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Largest embeddings answer read from a provider, in bytes (large batches of long vectors are big).</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int MaxProviderEmbeddingsBytes { get; set; } = 256 * 1024 * 1024;

    /// <summary>Largest single line or event of a provider's stream, in bytes.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxProviderEventBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Providers defined in configuration, by name. They are synced into the catalogue at start.</summary>
    public Dictionary<string, ConfiguredProvider> Providers { get; set; } = [];
}

/// <summary>A provider in configuration, with the aliases it serves and, optionally, their prices.</summary>
public sealed class ConfiguredProvider
{
    [Required] public string Kind { get; set; } = "openai";
    [Required] public string BaseUrl { get; set; } = "";
    public string? ApiKey { get; set; }
    public string? ApiVersion { get; set; }
    public int MaxRetries { get; set; } = 2;
    public int ConnectTimeoutSeconds { get; set; } = 10;
    public int FirstByteTimeoutSeconds { get; set; } = 60;
    public int IdleTimeoutSeconds { get; set; } = 60;
    public int TotalTimeoutSeconds { get; set; } = 600;
    /// <summary>
    /// Whether this provider bills a request it never answered. False (the default, and the truth for the hosted
    /// APIs): a request sent whole that then times out or loses its connection is charged its input and not
    /// retried. True: such attempts are free, so they are retried and not charged.
    /// </summary>
    public bool UnansweredAttemptsFree { get; set; }
    /// <summary>Alias → the provider's model name (Azure: deployment).</summary>
    public Dictionary<string, string> Models { get; set; } = [];
    /// <summary>Upstream model → USD per million tokens, in force from the first start that sees them.</summary>
    public Dictionary<string, ConfiguredPrice> Prices { get; set; } = [];
}

/// <summary>USD per million tokens; each ≥ 0 with at most 6 decimals (checked at start by ConfiguredPricesValidation).</summary>
public sealed class ConfiguredPrice
{
    public decimal Input { get; set; }
    /// <summary>Cache reads. Unset: the input price.</summary>
    public decimal? CachedInput { get; set; }
    /// <summary>Cache writes (Anthropic). Unset: 1.25 × input, Anthropic's documented 5-minute cache-write rate.</summary>
    public decimal? CacheWrite { get; set; }
    public decimal Output { get; set; }
}
