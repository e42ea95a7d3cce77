using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// One alert to one channel: the queue (pending rows survive a restart) and the delivery log in one table. A node
/// claims a due row with a conditional UPDATE of <see cref="ClaimedUntil"/>, so two nodes never send it twice at once.
/// </summary>
public sealed class NotificationDelivery
{
    public Guid Id { get; set; }
    public Guid ChannelId { get; set; }
    public required string AlertKind { get; set; }
    public required string Subject { get; set; }
    /// <summary>JSON of the alert (<see cref="AlertPayload"/>), rendered per channel at send time.</summary>
    public required string Payload { get; set; }
    /// <summary>E-mail addresses, comma-separated (e-mail channels only).</summary>
    public string? Recipients { get; set; }
    public required string Status { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime? ClaimedUntil { get; set; }
    /// <summary>The last failure, without secrets (URLs and passwords are never part of it).</summary>
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
    /// <summary>Sent from the page's "Send test" button.</summary>
    public bool IsTest { get; set; }
}

public static class DeliveryStatuses
{
    /// <summary>Waiting for its first attempt or a retry.</summary>
    public const string Pending = "pending";
    public const string Sent = "sent";
    /// <summary>Gave up after the last attempt (a person can retry it from the page).</summary>
    public const string Failed = "failed";
}

internal sealed class NotificationDeliveryConfiguration : IEntityTypeConfiguration<NotificationDelivery>
{
    public void Configure(EntityTypeBuilder<NotificationDelivery> e)
    {
        e.ToTable("notification_deliveries");
        e.HasKey(x => x.Id);
        e.Property(x => x.AlertKind).HasMaxLength(40);
        e.Property(x => x.Subject).HasMaxLength(300);
        e.Property(x => x.Recipients).HasMaxLength(2000);
        e.Property(x => x.Status).HasMaxLength(16);
        e.Property(x => x.LastError).HasMaxLength(1000);
        e.HasIndex(x => new { x.Status, x.NextAttemptAt });
        e.HasIndex(x => x.CreatedAt);
        e.HasIndex(x => x.ChannelId);
        e.HasOne<NotificationChannel>().WithMany().HasForeignKey(x => x.ChannelId).OnDelete(DeleteBehavior.Cascade);
    }
}
