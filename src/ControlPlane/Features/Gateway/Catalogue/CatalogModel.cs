using ControlPlane.Features.Gateway.Providers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>
/// A model as callers name it (an alias such as <c>gpt</c> or <c>claude-sonnet</c>), with what it can do. Its
/// <see cref="ModelTarget"/>s say which provider serves it, in failover order.
/// </summary>
public sealed class CatalogModel
{
    public Guid Id { get; set; }
    public required string Alias { get; set; }
    public required string Kind { get; set; }
    public int ContextWindow { get; set; }
    public bool SupportsTools { get; set; }
    public bool SupportsVision { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTime CreatedAt { get; set; }
}

public static class ModelKinds
{
    public const string Chat = "chat";
    public const string Embedding = "embedding";
}

/// <summary>One provider's model behind an alias; lower <see cref="Priority"/> is tried first.</summary>
public sealed class ModelTarget
{
    public Guid Id { get; set; }
    public Guid ModelId { get; set; }
    public Guid ProviderId { get; set; }
    /// <summary>The provider's own model name (for Azure OpenAI, the deployment name).</summary>
    public required string UpstreamModel { get; set; }
    public int Priority { get; set; }

    // The capability registry (Features/Routing reads it): null context, tools or vision inherit the alias's value;
    // null self-hosted is derived from the provider's address (see TargetCapabilities.Derive).
    public int? ContextWindow { get; set; }
    public bool? SupportsTools { get; set; }
    public bool? SupportsVision { get; set; }
    public bool JsonMode { get; set; } = true;
    public bool StreamingUsage { get; set; } = true;
    /// <summary>Where the provider processes the data, free text such as <c>eu</c> or <c>us</c>; null: not stated (outside every region lock).</summary>
    public string? Region { get; set; }
    public bool? SelfHosted { get; set; }
}

internal sealed class CatalogModelConfiguration : IEntityTypeConfiguration<CatalogModel>
{
    public void Configure(EntityTypeBuilder<CatalogModel> model)
    {
        model.ToTable("catalog_models");
        model.HasKey(m => m.Id);
        model.Property(m => m.Alias).HasMaxLength(100);
        model.Property(m => m.Kind).HasMaxLength(16);
        model.HasIndex(m => m.Alias).IsUnique();
    }
}

internal sealed class ModelTargetConfiguration : IEntityTypeConfiguration<ModelTarget>
{
    public void Configure(EntityTypeBuilder<ModelTarget> target)
    {
        target.ToTable("model_targets");
        target.HasKey(t => t.Id);
        target.Property(t => t.UpstreamModel).HasMaxLength(200);
        target.Property(t => t.Region).HasMaxLength(32);
        target.Property(t => t.JsonMode).HasDefaultValue(true).ValueGeneratedNever(); // false must be stored as false
        target.Property(t => t.StreamingUsage).HasDefaultValue(true).ValueGeneratedNever();
        target.HasIndex(t => new { t.ModelId, t.Priority });
        target.HasIndex(t => t.ProviderId);
        target.HasOne<CatalogModel>().WithMany().HasForeignKey(t => t.ModelId).OnDelete(DeleteBehavior.Cascade);
        target.HasOne<Provider>().WithMany().HasForeignKey(t => t.ProviderId).OnDelete(DeleteBehavior.Restrict);
    }
}
