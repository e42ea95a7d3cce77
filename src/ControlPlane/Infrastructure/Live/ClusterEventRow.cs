using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Infrastructure.Live;

/// <summary>
/// A message between nodes on SQL Server (see <see cref="SqlServerClusterChannel"/>); kept a few minutes. The table
/// exists on every provider so the schema is one, but only SQL Server nodes write to it.
/// </summary>
public sealed class ClusterEventRow
{
    public Guid Id { get; set; }
    /// <summary>The database's clock when the row was written (never a node's).</summary>
    public DateTime At { get; set; }
    public required string Node { get; set; }
    public required string Payload { get; set; }
}

internal sealed class ClusterEventRowConfiguration : IEntityTypeConfiguration<ClusterEventRow>
{
    public void Configure(EntityTypeBuilder<ClusterEventRow> row)
    {
        row.ToTable("cluster_events");
        row.HasKey(r => r.Id);
        row.Property(r => r.Node).HasMaxLength(64);
        row.HasIndex(r => r.At);
    }
}
