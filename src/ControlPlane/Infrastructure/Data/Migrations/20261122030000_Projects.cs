using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Projects of teams, and keys filed under them (so a project can have a budget).</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261122030000_Projects")]
public sealed class Projects : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "projects",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                team_id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_projects", x => x.id);
                table.ForeignKey("FK_projects_teams_team_id", x => x.team_id, "teams", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_projects_team_id_name", "projects", ["team_id", "name"], unique: true);

        migrationBuilder.AddColumn<Guid>("project_id", "api_keys", nullable: true);
        migrationBuilder.CreateIndex("IX_api_keys_project_id", "api_keys", "project_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_api_keys_project_id", "api_keys");
        migrationBuilder.DropColumn("project_id", "api_keys");
        migrationBuilder.DropTable("projects");
    }
}
