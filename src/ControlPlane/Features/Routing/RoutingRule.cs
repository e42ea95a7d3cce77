using ControlPlane.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Routing;

/// <summary>
/// One routing rule: when its <see cref="RuleConditions"/> hold, its <see cref="RuleAction"/> decides the targets. Rules
/// are tried by ascending <see cref="Priority"/>; the first enabled one that matches (and can serve the call's kind) wins.
/// Conditions and action are stored as JSON text (<see cref="RuleJson"/>): they change shape more often than a table should.
/// </summary>
public sealed class RoutingRule
{
    public Guid Id { get; set; }
    public int Priority { get; set; }
    public required string Name { get; set; }
    public bool Enabled { get; set; } = true;
    public required string Conditions { get; set; }
    public required string Action { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

/// <summary>
/// Data residency: calls of a team (and its subteams, unless they have their own) or of the whole organisation
/// (<see cref="TeamId"/> null) go only to targets whose capability registry says they are in <see cref="Region"/>.
/// No routing rule can route around it.
/// </summary>
public sealed class RegionLock
{
    public Guid Id { get; set; }
    public Guid? TeamId { get; set; }
    public required string Region { get; set; }
    public DateTime UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

internal sealed class RoutingRuleConfiguration : IEntityTypeConfiguration<RoutingRule>
{
    public void Configure(EntityTypeBuilder<RoutingRule> rule)
    {
        rule.ToTable("routing_rules");
        rule.HasKey(r => r.Id);
        rule.Property(r => r.Name).HasMaxLength(100);
        rule.Property(r => r.UpdatedBy).HasMaxLength(320);
        rule.HasIndex(r => r.Priority);
        rule.HasIndex(r => r.Name).IsUnique();
    }
}

internal sealed class RegionLockConfiguration : IEntityTypeConfiguration<RegionLock>
{
    public void Configure(EntityTypeBuilder<RegionLock> regionLock)
    {
        regionLock.ToTable("region_locks");
        regionLock.HasKey(r => r.Id);
        regionLock.Property(r => r.Region).HasMaxLength(32);
        regionLock.Property(r => r.UpdatedBy).HasMaxLength(320);
        regionLock.HasIndex(r => r.TeamId);
        regionLock.HasOne<Team>().WithMany().HasForeignKey(r => r.TeamId).OnDelete(DeleteBehavior.Cascade);
    }
}
