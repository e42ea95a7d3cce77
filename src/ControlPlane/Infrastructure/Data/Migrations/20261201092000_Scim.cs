using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>SCIM provisioning: bearer tokens per identity provider (hashed), the users and groups each provider pushes.</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201092000_Scim")]
public sealed class Scim : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "scim_tokens",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 100, nullable: false),
                prefix = table.Column<string>(maxLength: 32, nullable: false),
                hash = table.Column<string>(maxLength: 64, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                created_by = table.Column<string>(maxLength: 320, nullable: false),
                last_used_at = table.Column<DateTime>(nullable: true),
                revoked_at = table.Column<DateTime>(nullable: true),
                revoked_by = table.Column<string>(maxLength: 320, nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_scim_tokens", x => x.id));
        migrationBuilder.CreateIndex("IX_scim_tokens_hash", "scim_tokens", "hash", unique: true);
        migrationBuilder.CreateIndex("IX_scim_tokens_provider", "scim_tokens", "provider");

        migrationBuilder.CreateTable(
            name: "scim_users",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 100, nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                user_name = table.Column<string>(maxLength: 320, nullable: false),
                external_id = table.Column<string>(maxLength: 200, nullable: true),
                given_name = table.Column<string>(maxLength: 100, nullable: true),
                family_name = table.Column<string>(maxLength: 100, nullable: true),
                display_name = table.Column<string>(maxLength: 200, nullable: true),
                work_email = table.Column<string>(maxLength: 320, nullable: true),
                active = table.Column<bool>(nullable: false),
                deleted_at = table.Column<DateTime>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_scim_users", x => x.id);
                table.ForeignKey("FK_scim_users_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_scim_users_provider_user_id", "scim_users", ["provider", "user_id"], unique: true);
        migrationBuilder.CreateIndex("IX_scim_users_provider_user_name", "scim_users", ["provider", "user_name"], unique: true);
        migrationBuilder.CreateIndex("IX_scim_users_provider_external_id", "scim_users", ["provider", "external_id"]);
        migrationBuilder.CreateIndex("IX_scim_users_user_id", "scim_users", "user_id");

        migrationBuilder.CreateTable(
            name: "scim_groups",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 100, nullable: false),
                display_name = table.Column<string>(maxLength: 200, nullable: false),
                external_id = table.Column<string>(maxLength: 200, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_scim_groups", x => x.id));
        migrationBuilder.CreateIndex("IX_scim_groups_provider_display_name", "scim_groups", ["provider", "display_name"], unique: true);

        migrationBuilder.CreateTable(
            name: "scim_group_members",
            columns: table => new
            {
                group_id = table.Column<Guid>(nullable: false),
                scim_user_id = table.Column<Guid>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_scim_group_members", x => new { x.group_id, x.scim_user_id });
                table.ForeignKey("FK_scim_group_members_scim_groups_group_id", x => x.group_id, "scim_groups", "id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_scim_group_members_scim_users_scim_user_id", x => x.scim_user_id, "scim_users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_scim_group_members_scim_user_id", "scim_group_members", "scim_user_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("scim_group_members");
        migrationBuilder.DropTable("scim_groups");
        migrationBuilder.DropTable("scim_users");
        migrationBuilder.DropTable("scim_tokens");
    }
}
