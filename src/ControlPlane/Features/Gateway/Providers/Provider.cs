using ControlPlane.Features.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>
/// An LLM provider the gateway calls: its wire kind, where it is, and its secret (encrypted with ASP.NET Data
/// Protection; only the last four characters are kept in clear, to recognise it).
/// </summary>
public sealed class Provider
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Kind { get; set; }
    public required string BaseUrl { get; set; }
    /// <summary>Azure OpenAI's api-version query parameter.</summary>
    public string? ApiVersion { get; set; }
    [AuditSecret]
    public string? EncryptedApiKey { get; set; }
    public string? ApiKeyHint { get; set; }
    public bool Enabled { get; set; } = true;
    /// <summary>Set when the provider comes from configuration: the page shows it but does not edit it.</summary>
    public bool ManagedByConfiguration { get; set; }
    public int ConnectTimeoutSeconds { get; set; } = 10;
    public int FirstByteTimeoutSeconds { get; set; } = 60;
    public int IdleTimeoutSeconds { get; set; } = 60;
    public int TotalTimeoutSeconds { get; set; } = 600;
    public int MaxRetries { get; set; } = 2;
    /// <summary>
    /// True only for a provider that does not bill a request it never answered (e.g. a self-hosted model). Off by
    /// default: a request that reached the provider whole and then timed out or lost its connection is charged its
    /// input and not retried.
    /// </summary>
    public bool UnansweredAttemptsFree { get; set; }
    /// <summary>
    /// The provider-side ids whose usage goes through this connection (OpenAI project and API key ids, Anthropic API key
    /// and workspace ids), space-separated: reconciliation compares an organisation-wide bill per connection by them.
    /// Set on the Reconciliation page.
    /// </summary>
    public string? BillingIds { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>The wire kinds. Every OpenAI-compatible server (Groq, Together, Mistral, Ollama, vLLM, …) is <see cref="OpenAI"/>.</summary>
public static class ProviderKinds
{
    public const string OpenAI = "openai";
    public const string AzureOpenAI = "azure-openai";
    public const string Anthropic = "anthropic";
    public const string Gemini = "gemini";

    public static IReadOnlyList<string> All { get; } = [OpenAI, AzureOpenAI, Anthropic, Gemini];
}

internal sealed class ProviderConfiguration : IEntityTypeConfiguration<Provider>
{
    public void Configure(EntityTypeBuilder<Provider> provider)
    {
        provider.ToTable("providers");
        provider.HasKey(p => p.Id);
        provider.Property(p => p.Name).HasMaxLength(100);
        provider.Property(p => p.Kind).HasMaxLength(32);
        provider.Property(p => p.BaseUrl).HasMaxLength(500);
        provider.Property(p => p.ApiVersion).HasMaxLength(40);
        provider.Property(p => p.EncryptedApiKey).HasMaxLength(4000);
        provider.Property(p => p.ApiKeyHint).HasMaxLength(8);
        provider.Property(p => p.BillingIds).HasMaxLength(2000);
        // Existing rows (and rows written by an older node) are not free: the safe side for the wallet.
        provider.Property(p => p.UnansweredAttemptsFree).HasDefaultValue(false);
        provider.HasIndex(p => p.Name).IsUnique();
    }
}
