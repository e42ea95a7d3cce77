using ControlPlane.Features.People;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Teams;

/// <summary>A team of an organisation; teams nest (a team's spend and keys roll up to its parent).</summary>
public sealed class Team
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid? ParentTeamId { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Keep the prompts and completions of this team's calls this many days; null keeps none (the default).</summary>
    public int? KeepPayloadsDays { get; set; }
    /// <summary>The team's keys may request budget transfers over the API (/v1/wallet/transfers); off by default.</summary>
    public bool AllowKeyTransferRequests { get; set; }
    /// <summary>The team's keys may approve or reject transfers over the API, if their creator may decide them; off by default.</summary>
    public bool AllowKeyTransferDecisions { get; set; }
    /// <summary>The finance cost centre the team's spend is charged to; subteams without their own inherit it (Features/FinOps).</summary>
    public string? CostCentre { get; set; }
}

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> team)
    {
        team.ToTable("teams");
        team.HasKey(t => t.Id);
        team.Property(t => t.Name).HasMaxLength(100);
        team.Property(t => t.AllowKeyTransferRequests).HasDefaultValue(false);
        team.Property(t => t.AllowKeyTransferDecisions).HasDefaultValue(false);
        team.Property(t => t.CostCentre).HasMaxLength(40);
        // Names are unique in an organisation so that people and the CLI can name a team unambiguously.
        team.HasIndex(t => new { t.OrganizationId, t.Name }).IsUnique();
        team.HasIndex(t => t.ParentTeamId);
        team.HasOne<Organization>().WithMany().HasForeignKey(t => t.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        team.HasOne<Team>().WithMany().HasForeignKey(t => t.ParentTeamId).OnDelete(DeleteBehavior.Restrict);
    }
}
