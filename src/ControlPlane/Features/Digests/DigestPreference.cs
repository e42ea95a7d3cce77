using ControlPlane.Features.People;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Digests;

/// <summary>How often a person wants their digest. No row means <see cref="DigestCadences.Default"/>.</summary>
public sealed class DigestPreference
{
    public Guid UserId { get; set; }
    public required string Cadence { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>The digest's cadences, and "none" for a reader who opted out.</summary>
public static class DigestCadences
{
    public const string Daily = "daily";
    public const string Weekly = "weekly";
    public const string None = "none";
    public const string Default = Daily;

    public static IReadOnlyList<string> All { get; } = [Daily, Weekly, None];

    public static string Label(string cadence) => cadence switch
    {
        Daily => "Every morning (yesterday's spend)",
        Weekly => "Every Monday (last week's spend)",
        _ => "No digest",
    };
}

/// <summary>One digest that went out: a reader (a person, or the chat channels) and the period it covered. Sent once.</summary>
public sealed class DigestSend
{
    public Guid Id { get; set; }
    /// <summary>"user:{id}" for a person's e-mail, <see cref="DigestJob.ChannelsReader"/> for the chat channels.</summary>
    public required string Reader { get; set; }
    public required string Cadence { get; set; }
    /// <summary>The first day the digest covered: the UTC instant of its local midnight in the organisation's time zone.</summary>
    public DateTime PeriodStart { get; set; }
    public DateTime SentAt { get; set; }
}

internal sealed class DigestPreferenceConfiguration : IEntityTypeConfiguration<DigestPreference>
{
    public void Configure(EntityTypeBuilder<DigestPreference> e)
    {
        e.ToTable("digest_preferences");
        e.HasKey(x => x.UserId);
        e.Property(x => x.Cadence).HasMaxLength(16);
        e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class DigestSendConfiguration : IEntityTypeConfiguration<DigestSend>
{
    public void Configure(EntityTypeBuilder<DigestSend> e)
    {
        e.ToTable("digest_sends");
        e.HasKey(x => x.Id);
        e.Property(x => x.Reader).HasMaxLength(64);
        e.Property(x => x.Cadence).HasMaxLength(16);
        // The unique index is what makes a second run (or a second node) send nothing.
        e.HasIndex(x => new { x.Reader, x.Cadence, x.PeriodStart }).IsUnique();
    }
}
