using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Identity-provider subjects linked to people (single sign-on finds them by it), and why a person is switched off:
/// losing every mapped group is lifted by regaining one, an Owner's or SCIM's decision is not.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201090000_ExternalLogins")]
public sealed class ExternalLogins : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "external_logins",
            columns: table => new
            {
                provider = table.Column<string>(maxLength: 100, nullable: false),
                subject = table.Column<string>(maxLength: 256, nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                last_sign_in_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_external_logins", x => new { x.provider, x.subject });
                table.ForeignKey("FK_external_logins_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_external_logins_user_id", "external_logins", "user_id");

        migrationBuilder.AddColumn<string>("inactive_reason", "users", maxLength: 32, nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("inactive_reason", "users");
        migrationBuilder.DropTable("external_logins");
    }
}
