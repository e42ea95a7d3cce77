using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Messages between nodes on SQL Server, which has no LISTEN/NOTIFY (Infrastructure/Live/SqlServerClusterChannel):
/// rows stamped with the database's clock, read by every node a few times a second, deleted after minutes.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201096000_ClusterEvents")]
public sealed class ClusterEvents : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "cluster_events",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                at = table.Column<DateTime>(nullable: false),
                node = table.Column<string>(maxLength: 64, nullable: false),
                payload = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_cluster_events", x => x.id));
        migrationBuilder.CreateIndex("IX_cluster_events_at", "cluster_events", "at");
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("cluster_events");
}
