using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// The caller's rating of one of its own calls (POST /v1/feedback): a score in 0..1, or −1 / 1 for thumbs down / up.
/// One per call: a second rating replaces the first (and the replacement is audited).
/// </summary>
public sealed class CallFeedback
{
    public const int CommentMax = 1000;

    public Guid CallId { get; set; }
    public Guid KeyId { get; set; }
    public decimal Score { get; set; }
    public string? Comment { get; set; }
    public DateTime At { get; set; }
    /// <summary>How many times the rating was replaced.</summary>
    public int Replaced { get; set; }

    /// <summary>The score on one scale, 0..1 (thumbs down −1 counts as 0).</summary>
    public static decimal Normalised(decimal score) => score < 0 ? 0 : score;

    /// <summary>A rating counts as positive above the middle of the scale.</summary>
    public static bool IsPositive(decimal score) => Normalised(score) > 0.5m;
}

internal sealed class CallFeedbackConfiguration : IEntityTypeConfiguration<CallFeedback>
{
    public void Configure(EntityTypeBuilder<CallFeedback> feedback)
    {
        feedback.ToTable("call_feedback");
        // No foreign key to calls, as nothing else has one: the call log is append-only and written in batches.
        feedback.HasKey(f => f.CallId);
        feedback.Property(f => f.Score).HasPrecision(9, 4);
        feedback.Property(f => f.Comment).HasMaxLength(CallFeedback.CommentMax);
    }
}
