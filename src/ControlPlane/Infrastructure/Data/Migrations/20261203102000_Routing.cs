using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Routing (Features/Routing): the capability registry on model targets, routing rules (conditions and action kept as
/// JSON text), data-residency region locks per organisation or team, and room for the longer route reason a rule writes.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261203102000_Routing")]
public sealed class Routing : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<int>("context_window", "model_targets", nullable: true);
        migrationBuilder.AddColumn<bool>("supports_tools", "model_targets", nullable: true);
        migrationBuilder.AddColumn<bool>("supports_vision", "model_targets", nullable: true);
        migrationBuilder.AddColumn<bool>("json_mode", "model_targets", nullable: false, defaultValue: true);
        migrationBuilder.AddColumn<bool>("streaming_usage", "model_targets", nullable: false, defaultValue: true);
        migrationBuilder.AddColumn<string>("region", "model_targets", maxLength: 32, nullable: true);
        migrationBuilder.AddColumn<bool>("self_hosted", "model_targets", nullable: true);

        migrationBuilder.CreateTable(
            name: "routing_rules",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                priority = table.Column<int>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                enabled = table.Column<bool>(nullable: false),
                conditions = table.Column<string>(nullable: false),
                action = table.Column<string>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
                updated_by = table.Column<string>(maxLength: 320, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_routing_rules", x => x.id));
        migrationBuilder.CreateIndex("IX_routing_rules_priority", "routing_rules", "priority");
        migrationBuilder.CreateIndex("IX_routing_rules_name", "routing_rules", "name", unique: true);

        migrationBuilder.CreateTable(
            name: "region_locks",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                team_id = table.Column<Guid>(nullable: true),
                region = table.Column<string>(maxLength: 32, nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
                updated_by = table.Column<string>(maxLength: 320, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_region_locks", x => x.id);
                table.ForeignKey("FK_region_locks_teams_team_id", x => x.team_id, "teams", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_region_locks_team_id", "region_locks", "team_id");

        // SQLite does not enforce a text length; elsewhere the column grows to hold a rule's whole reason.
        if (migrationBuilder.ActiveProvider != "Microsoft.EntityFrameworkCore.Sqlite")
            migrationBuilder.AlterColumn<string>("route_reason", "calls", maxLength: 1000, nullable: true, oldClrType: typeof(string), oldMaxLength: 300, oldNullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        if (migrationBuilder.ActiveProvider != "Microsoft.EntityFrameworkCore.Sqlite")
            migrationBuilder.AlterColumn<string>("route_reason", "calls", maxLength: 300, nullable: true, oldClrType: typeof(string), oldMaxLength: 1000, oldNullable: true);
        migrationBuilder.DropTable("region_locks");
        migrationBuilder.DropTable("routing_rules");
        foreach (var column in new[] { "context_window", "supports_tools", "supports_vision", "json_mode", "streaming_usage", "region", "self_hosted" })
            migrationBuilder.DropColumn(column, "model_targets");
    }
}
