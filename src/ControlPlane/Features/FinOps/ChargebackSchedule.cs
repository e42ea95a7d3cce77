using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.FinOps;

/// <summary>
/// A chargeback per cost centre sent on a schedule: monthly on day <see cref="Day"/> (the month before), or weekly on
/// ISO weekday <see cref="Day"/> (the week before, Monday to Sunday); in a layout of <see cref="Wallets.ChargebackLayouts"/>;
/// to e-mail addresses (through an e-mail notification channel), a folder under the configured export root, or a
/// signed webhook. The webhook's URL and signing secret are kept encrypted (<see cref="Secret"/>), as channels' are.
/// </summary>
public sealed class ChargebackSchedule
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Cadence { get; set; }
    public int Day { get; set; }
    public required string Layout { get; set; }
    public required string Destination { get; set; }
    /// <summary>E-mail: the addresses; folder: the path under the export root; webhook: a hint of the URL (never the URL).</summary>
    public required string Target { get; set; }
    /// <summary>E-mail: the notification channel whose SMTP server sends it.</summary>
    public Guid? ChannelId { get; set; }
    /// <summary>Webhook: Data Protection ciphertext of the URL and signing secret.</summary>
    public string? Secret { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTime CreatedAt { get; set; }
}

/// <summary>One run of a schedule: when, which days, where it went, and whether it worked (with the error if not).</summary>
public sealed class ChargebackRun
{
    public Guid Id { get; set; }
    public Guid ScheduleId { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime PeriodFrom { get; set; }
    /// <summary>The last day covered (inclusive).</summary>
    public DateTime PeriodTo { get; set; }
    /// <summary>"schedule" or "manual" (run now, by <see cref="By"/>).</summary>
    public required string Trigger { get; set; }
    public string? By { get; set; }
    public required string FileName { get; set; }
    public int Bytes { get; set; }
    public required string Where { get; set; }
    public bool Ok { get; set; }
    public string? Error { get; set; }
}

public static class ExportCadences
{
    public const string Monthly = "monthly";
    public const string Weekly = "weekly";
    public static IReadOnlyList<string> All { get; } = [Monthly, Weekly];
}

public static class ExportDestinations
{
    public const string Email = "email";
    public const string Folder = "folder";
    public const string Webhook = "webhook";
    public static IReadOnlyList<string> All { get; } = [Email, Folder, Webhook];
}

internal sealed class ChargebackScheduleConfiguration : IEntityTypeConfiguration<ChargebackSchedule>
{
    public void Configure(EntityTypeBuilder<ChargebackSchedule> e)
    {
        e.ToTable("chargeback_schedules");
        e.HasKey(x => x.Id);
        e.Property(x => x.Name).HasMaxLength(100);
        e.Property(x => x.Cadence).HasMaxLength(16);
        e.Property(x => x.Layout).HasMaxLength(16);
        e.Property(x => x.Destination).HasMaxLength(16);
        e.Property(x => x.Target).HasMaxLength(1000);
        e.HasIndex(x => x.Name).IsUnique();
    }
}

internal sealed class ChargebackRunConfiguration : IEntityTypeConfiguration<ChargebackRun>
{
    public void Configure(EntityTypeBuilder<ChargebackRun> e)
    {
        e.ToTable("chargeback_runs");
        e.HasKey(x => x.Id);
        e.Property(x => x.Trigger).HasMaxLength(16);
        e.Property(x => x.By).HasMaxLength(320);
        e.Property(x => x.FileName).HasMaxLength(200);
        e.Property(x => x.Where).HasMaxLength(1000);
        e.Property(x => x.Error).HasMaxLength(1000);
        e.HasIndex(x => new { x.ScheduleId, x.PeriodFrom });
        e.HasOne<ChargebackSchedule>().WithMany().HasForeignKey(x => x.ScheduleId).OnDelete(DeleteBehavior.Cascade);
    }
}
