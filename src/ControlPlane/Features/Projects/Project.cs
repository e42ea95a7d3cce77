using ControlPlane.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Projects;

/// <summary>A piece of a team's work that its keys can be filed under, so it can have a budget of its own.</summary>
public sealed class Project
{
    public Guid Id { get; set; }
    public Guid TeamId { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class ProjectConfiguration : IEntityTypeConfiguration<Project>
{
    public void Configure(EntityTypeBuilder<Project> project)
    {
        project.ToTable("projects");
        project.HasKey(p => p.Id);
        project.Property(p => p.Name).HasMaxLength(100);
        project.HasIndex(p => new { p.TeamId, p.Name }).IsUnique();
        project.HasOne<Team>().WithMany().HasForeignKey(p => p.TeamId).OnDelete(DeleteBehavior.Restrict);
    }
}
