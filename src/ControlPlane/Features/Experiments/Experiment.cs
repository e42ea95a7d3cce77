using ControlPlane.Features.Metering;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Experiments;

/// <summary>Draft: being set up, takes no traffic. Running: splits traffic. Concluded: sends all matching traffic to the winner. Archived: off.</summary>
public enum ExperimentStatus
{
    Draft,
    Running,
    Concluded,
    Archived,
}

/// <summary>Whose hash keeps a caller on one variant: the calling service (X-ControlPlane-Caller, else the key) or the end user.</summary>
public enum StickyBy
{
    Caller,
    EndUser,
}

/// <summary>What "better" means when a winner is picked: cheaper, faster, fewer errors, or better rated.</summary>
public enum ExperimentGoal
{
    Cost,
    Latency,
    Errors,
    Feedback,
}

/// <summary>
/// An A/B split of the calls that ask for one model alias (optionally only a team's subtree, a project, or a tag) between
/// variants, each a target alias with optional parameter overrides, by percentage. Promotion keeps it matching: a
/// concluded experiment sends all its traffic to the winner until an admin archives it.
/// </summary>
public sealed class Experiment
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The alias callers ask for ("model": "…") that this experiment splits.</summary>
    public required string Model { get; set; }
    /// <summary>Only calls of keys in this team or below it; null: every team.</summary>
    public Guid? TeamId { get; set; }
    public Guid? ProjectId { get; set; }
    /// <summary>Only calls carrying this tag in X-ControlPlane-Tags; null: any.</summary>
    public string? Tag { get; set; }
    public StickyBy StickyBy { get; set; }
    public ExperimentStatus Status { get; set; }
    public ExperimentGoal Goal { get; set; }
    /// <summary>Significance level of the tests (0.05: a difference this large would happen by chance 1 time in 20).</summary>
    public decimal Alpha { get; set; } = 0.05m;
    /// <summary>Calls each variant needs before any difference counts.</summary>
    public int MinSamples { get; set; } = 100;
    public bool AutoPromote { get; set; }
    /// <summary>The promoted variant's name, once concluded.</summary>
    public string? Winner { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? ConcludedAt { get; set; }
    public string? ConcludedBy { get; set; }
    public List<ExperimentVariant> Variants { get; set; } = [];
}

/// <summary>
/// One arm of an experiment: the alias its calls go to and the parameters it overrides. The overrides are what
/// <see cref="CallExperiments.Edits"/> turns into body edits; a prompt-version variant (when the prompt registry lands) is a
/// further column here and one more edit there.
/// </summary>
public sealed class ExperimentVariant
{
    public Guid Id { get; set; }
    public Guid ExperimentId { get; set; }
    public required string Name { get; set; }
    public required string TargetAlias { get; set; }
    public int Percent { get; set; }
    /// <summary>Order on the page; the first variant is the control the others are compared with.</summary>
    public int Position { get; set; }
    public decimal? Temperature { get; set; }
    public int? MaxTokens { get; set; }
}

internal sealed class ExperimentConfiguration : IEntityTypeConfiguration<Experiment>
{
    public void Configure(EntityTypeBuilder<Experiment> experiment)
    {
        experiment.ToTable("experiments");
        experiment.HasKey(e => e.Id);
        experiment.Property(e => e.Name).HasMaxLength(100);
        experiment.Property(e => e.Model).HasMaxLength(CallText.ModelMax);
        experiment.Property(e => e.Tag).HasMaxLength(100);
        experiment.Property(e => e.StickyBy).HasConversion<string>().HasMaxLength(16);
        experiment.Property(e => e.Status).HasConversion<string>().HasMaxLength(16);
        experiment.Property(e => e.Goal).HasConversion<string>().HasMaxLength(16);
        experiment.Property(e => e.Alpha).HasPrecision(9, 4);
        experiment.Property(e => e.Winner).HasMaxLength(50);
        experiment.Property(e => e.ConcludedBy).HasMaxLength(320);
        experiment.HasMany(e => e.Variants).WithOne().HasForeignKey(v => v.ExperimentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ExperimentVariantConfiguration : IEntityTypeConfiguration<ExperimentVariant>
{
    public void Configure(EntityTypeBuilder<ExperimentVariant> variant)
    {
        variant.ToTable("experiment_variants");
        variant.HasKey(v => v.Id);
        variant.Property(v => v.Name).HasMaxLength(50);
        variant.Property(v => v.TargetAlias).HasMaxLength(CallText.ModelMax);
        variant.Property(v => v.Temperature).HasPrecision(9, 4);
    }
}
