using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.People.Scim;

/// <summary>A group an identity provider pushes through SCIM; its display name is what the role mapping rules match.</summary>
public sealed class ScimGroup
{
    public Guid Id { get; set; }
    public required string Provider { get; set; }
    public required string DisplayName { get; set; }
    public string? ExternalId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A provisioned person's membership of a SCIM group.</summary>
public sealed class ScimGroupMember
{
    public Guid GroupId { get; set; }
    public Guid ScimUserId { get; set; }
}

internal sealed class ScimGroupConfiguration : IEntityTypeConfiguration<ScimGroup>
{
    public void Configure(EntityTypeBuilder<ScimGroup> group)
    {
        group.ToTable("scim_groups");
        group.HasKey(g => g.Id);
        group.Property(g => g.Provider).HasMaxLength(100);
        group.Property(g => g.DisplayName).HasMaxLength(200);
        group.Property(g => g.ExternalId).HasMaxLength(200);
        group.HasIndex(g => new { g.Provider, g.DisplayName }).IsUnique();
    }
}

internal sealed class ScimGroupMemberConfiguration : IEntityTypeConfiguration<ScimGroupMember>
{
    public void Configure(EntityTypeBuilder<ScimGroupMember> member)
    {
        member.ToTable("scim_group_members");
        member.HasKey(m => new { m.GroupId, m.ScimUserId });
        member.HasIndex(m => m.ScimUserId);
        member.HasOne<ScimGroup>().WithMany().HasForeignKey(m => m.GroupId).OnDelete(DeleteBehavior.Cascade);
        member.HasOne<ScimUser>().WithMany().HasForeignKey(m => m.ScimUserId).OnDelete(DeleteBehavior.Cascade);
    }
}
