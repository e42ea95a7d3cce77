using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Prompts;

/// <summary>
/// A prompt kept in ControlPlane instead of in code: a unique name, the team that owns it, its immutable versions and the
/// labels that point at them. <see cref="RequiresApproval"/>: moving the <c>production</c> label needs someone other
/// than the requester to approve. <see cref="Shared"/>: every team's keys may use it, not only the owner team's subtree.
/// </summary>
public sealed class Prompt
{
    public const int MaxNameLength = 100, MaxDescriptionLength = 500;

    public Guid Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public Guid OwnerTeamId { get; set; }
    public bool RequiresApproval { get; set; } = true;
    public bool Shared { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
}

/// <summary>
/// One version of a prompt: its messages (JSON array of {role, content} with <c>{{variables}}</c>), default model and
/// parameters, change note and author. Immutable once created: every property is init-only and nothing updates it.
/// </summary>
public sealed class PromptVersion
{
    public const int MaxNoteLength = 500;

    public Guid Id { get; init; }
    public Guid PromptId { get; init; }
    /// <summary>1, 2, 3… in the order the versions were added.</summary>
    public int Number { get; init; }
    /// <summary>The messages as a JSON array of {"role", "content"} objects.</summary>
    public required string Messages { get; init; }
    /// <summary>The model used when the call names none.</summary>
    public string? Model { get; init; }
    /// <summary>A JSON object of request parameters (temperature, max_tokens…) used where the call sets none.</summary>
    public string? Parameters { get; init; }
    public required string ChangeNote { get; init; }
    public Guid? AuthorId { get; init; }
    public required string Author { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>A label (production, staging or any other) pointing at one version of a prompt.</summary>
public sealed class PromptLabel
{
    public const int MaxNameLength = 40;
    public const string Production = "production", Staging = "staging";

    public Guid Id { get; set; }
    public Guid PromptId { get; set; }
    public required string Name { get; set; }
    public Guid VersionId { get; set; }
    public DateTime MovedAt { get; set; }
    public required string MovedBy { get; set; }
}

/// <summary>
/// A label move: asked for, then applied at once or (production of a prompt that requires approval) pending until
/// someone other than the requester approves or rejects it. Applied and rejected moves are the label's history.
/// </summary>
public sealed class PromptLabelMove
{
    public Guid Id { get; set; }
    public Guid PromptId { get; set; }
    public required string Label { get; set; }
    public Guid? FromVersionId { get; set; }
    public Guid ToVersionId { get; set; }
    public required string State { get; set; }
    public string? Note { get; set; }
    public Guid? RequestedById { get; set; }
    public required string RequestedBy { get; set; }
    public DateTime RequestedAt { get; set; }
    public string? DecidedBy { get; set; }
    public DateTime? DecidedAt { get; set; }
    public string? Comment { get; set; }
}

public static class LabelMoveStates
{
    public const string Pending = "Pending", Applied = "Applied", Rejected = "Rejected";
}

internal sealed class PromptConfiguration : IEntityTypeConfiguration<Prompt>
{
    public void Configure(EntityTypeBuilder<Prompt> prompt)
    {
        prompt.ToTable("prompts");
        prompt.HasKey(p => p.Id);
        prompt.Property(p => p.Name).HasMaxLength(Prompt.MaxNameLength);
        prompt.Property(p => p.Description).HasMaxLength(Prompt.MaxDescriptionLength);
        prompt.Property(p => p.CreatedBy).HasMaxLength(200);
        prompt.HasIndex(p => p.Name).IsUnique();
        prompt.HasIndex(p => p.OwnerTeamId);
    }
}

internal sealed class PromptVersionConfiguration : IEntityTypeConfiguration<PromptVersion>
{
    public void Configure(EntityTypeBuilder<PromptVersion> version)
    {
        version.ToTable("prompt_versions");
        version.HasKey(v => v.Id);
        version.Property(v => v.Model).HasMaxLength(200);
        version.Property(v => v.ChangeNote).HasMaxLength(PromptVersion.MaxNoteLength);
        version.Property(v => v.Author).HasMaxLength(200);
        version.HasIndex(v => new { v.PromptId, v.Number }).IsUnique();
        version.HasOne<Prompt>().WithMany().HasForeignKey(v => v.PromptId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PromptLabelConfiguration : IEntityTypeConfiguration<PromptLabel>
{
    public void Configure(EntityTypeBuilder<PromptLabel> label)
    {
        label.ToTable("prompt_labels");
        label.HasKey(l => l.Id);
        label.Property(l => l.Name).HasMaxLength(PromptLabel.MaxNameLength);
        label.Property(l => l.MovedBy).HasMaxLength(200);
        label.HasIndex(l => new { l.PromptId, l.Name }).IsUnique();
        label.HasOne<Prompt>().WithMany().HasForeignKey(l => l.PromptId).OnDelete(DeleteBehavior.Cascade);
        label.HasOne<PromptVersion>().WithMany().HasForeignKey(l => l.VersionId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class PromptLabelMoveConfiguration : IEntityTypeConfiguration<PromptLabelMove>
{
    public void Configure(EntityTypeBuilder<PromptLabelMove> move)
    {
        move.ToTable("prompt_label_moves");
        move.HasKey(m => m.Id);
        move.Property(m => m.Label).HasMaxLength(PromptLabel.MaxNameLength);
        move.Property(m => m.State).HasMaxLength(16);
        move.Property(m => m.Note).HasMaxLength(PromptVersion.MaxNoteLength);
        move.Property(m => m.RequestedBy).HasMaxLength(200);
        move.Property(m => m.DecidedBy).HasMaxLength(200);
        move.Property(m => m.Comment).HasMaxLength(PromptVersion.MaxNoteLength);
        move.HasIndex(m => new { m.PromptId, m.RequestedAt });
        move.HasOne<Prompt>().WithMany().HasForeignKey(m => m.PromptId).OnDelete(DeleteBehavior.Cascade);
    }
}
