using ControlPlane.Features.People;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Teams;

/// <summary>A person's place in a team: <see cref="TeamRoles.Lead"/> or <see cref="TeamRoles.Member"/>.</summary>
public sealed class TeamMembership
{
    public Guid TeamId { get; set; }
    public Guid UserId { get; set; }
    public required string Role { get; set; }
    public DateTime AddedAt { get; set; }
}

public static class TeamRoles
{
    public const string Lead = nameof(Lead);
    public const string Member = nameof(Member);

    public static IReadOnlyList<string> All { get; } = [Lead, Member];
}

internal sealed class TeamMembershipConfiguration : IEntityTypeConfiguration<TeamMembership>
{
    public void Configure(EntityTypeBuilder<TeamMembership> membership)
    {
        membership.ToTable("team_memberships");
        membership.HasKey(m => new { m.TeamId, m.UserId });
        membership.Property(m => m.Role).HasMaxLength(16);
        membership.HasIndex(m => m.UserId);
        membership.HasOne<Team>().WithMany().HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.Cascade);
        membership.HasOne<User>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
