using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Organisations, people, teams, memberships, API keys and the audit chain. Written by hand and provider-neutral:
/// no store types are named, so each provider maps the CLR types itself (SchemaTests check the result).
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261121000000_Initial")]
public sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "organizations",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 200, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_organizations", x => x.id));
        migrationBuilder.CreateIndex("IX_organizations_name", "organizations", "name", unique: true);

        migrationBuilder.CreateTable(
            name: "users",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                organization_id = table.Column<Guid>(nullable: false),
                email = table.Column<string>(maxLength: 320, nullable: false),
                display_name = table.Column<string>(maxLength: 200, nullable: false),
                role = table.Column<string>(maxLength: 32, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_users", x => x.id);
                table.ForeignKey("FK_users_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_users_email", "users", "email", unique: true);
        migrationBuilder.CreateIndex("IX_users_organization_id", "users", "organization_id");

        migrationBuilder.CreateTable(
            name: "teams",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                organization_id = table.Column<Guid>(nullable: false),
                parent_team_id = table.Column<Guid>(nullable: true),
                name = table.Column<string>(maxLength: 100, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_teams", x => x.id);
                table.ForeignKey("FK_teams_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Restrict);
                table.ForeignKey("FK_teams_teams_parent_team_id", x => x.parent_team_id, "teams", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_teams_organization_id_name", "teams", ["organization_id", "name"], unique: true);
        migrationBuilder.CreateIndex("IX_teams_parent_team_id", "teams", "parent_team_id");

        migrationBuilder.CreateTable(
            name: "team_memberships",
            columns: table => new
            {
                team_id = table.Column<Guid>(nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                role = table.Column<string>(maxLength: 16, nullable: false),
                added_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_team_memberships", x => new { x.team_id, x.user_id });
                table.ForeignKey("FK_team_memberships_teams_team_id", x => x.team_id, "teams", "id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_team_memberships_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_team_memberships_user_id", "team_memberships", "user_id");

        migrationBuilder.CreateTable(
            name: "api_keys",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                team_id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                prefix = table.Column<string>(maxLength: 32, nullable: false),
                hash = table.Column<string>(maxLength: 64, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                created_by = table.Column<string>(maxLength: 320, nullable: false),
                expires_at = table.Column<DateTime>(nullable: true),
                revoked_at = table.Column<DateTime>(nullable: true),
                revoked_by = table.Column<string>(maxLength: 320, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_api_keys", x => x.id);
                table.ForeignKey("FK_api_keys_teams_team_id", x => x.team_id, "teams", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_api_keys_hash", "api_keys", "hash", unique: true);
        migrationBuilder.CreateIndex("IX_api_keys_prefix", "api_keys", "prefix", unique: true);
        migrationBuilder.CreateIndex("IX_api_keys_team_id", "api_keys", "team_id");

        migrationBuilder.CreateTable(
            name: "audit_entries",
            columns: table => new
            {
                sequence = table.Column<long>(nullable: false),
                at = table.Column<DateTime>(nullable: false),
                actor = table.Column<string>(maxLength: 320, nullable: false),
                action = table.Column<string>(maxLength: 64, nullable: false),
                target = table.Column<string>(maxLength: 200, nullable: false),
                details = table.Column<string>(maxLength: 4000, nullable: false),
                previous_hash = table.Column<string>(maxLength: 64, nullable: false),
                hash = table.Column<string>(maxLength: 64, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_audit_entries", x => x.sequence));
        migrationBuilder.CreateIndex("IX_audit_entries_at", "audit_entries", "at");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[] { "audit_entries", "api_keys", "team_memberships", "teams", "users", "organizations" })
            migrationBuilder.DropTable(table);
    }
}
