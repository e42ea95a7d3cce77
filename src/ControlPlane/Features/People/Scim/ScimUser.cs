using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.People.Scim;

/// <summary>
/// A person as one identity provider provisions them through SCIM: the SCIM resource (its id is the SCIM id) linked to
/// the person here. <see cref="Active"/> and <see cref="DeletedAt"/> are the provider's word on whether they may work
/// here; the person's own <see cref="User.IsActive"/> follows from them and from the groups (ScimAccess).
/// </summary>
public sealed class ScimUser
{
    public Guid Id { get; set; }
    public required string Provider { get; set; }
    public Guid UserId { get; set; }
    public required string UserName { get; set; }
    public string? ExternalId { get; set; }
    public string? GivenName { get; set; }
    public string? FamilyName { get; set; }
    public string? DisplayName { get; set; }
    public string? WorkEmail { get; set; }
    public bool Active { get; set; } = true;
    /// <summary>Set by DELETE: the resource is gone for SCIM (404), the person stays switched off, their history whole.</summary>
    public DateTime? DeletedAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class ScimUserConfiguration : IEntityTypeConfiguration<ScimUser>
{
    public void Configure(EntityTypeBuilder<ScimUser> user)
    {
        user.ToTable("scim_users");
        user.HasKey(u => u.Id);
        user.Property(u => u.Provider).HasMaxLength(100);
        user.Property(u => u.UserName).HasMaxLength(320);
        user.Property(u => u.ExternalId).HasMaxLength(200);
        user.Property(u => u.GivenName).HasMaxLength(100);
        user.Property(u => u.FamilyName).HasMaxLength(100);
        user.Property(u => u.DisplayName).HasMaxLength(200);
        user.Property(u => u.WorkEmail).HasMaxLength(320);
        user.Property(u => u.Active).ValueGeneratedNever();
        // One SCIM resource per person and provider; userName is unique per provider (RFC 7643 §4.1.1).
        user.HasIndex(u => new { u.Provider, u.UserId }).IsUnique();
        user.HasIndex(u => new { u.Provider, u.UserName }).IsUnique();
        user.HasIndex(u => new { u.Provider, u.ExternalId });
        user.HasOne<User>().WithMany().HasForeignKey(u => u.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
