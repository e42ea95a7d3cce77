using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// One-time sign-in links (first Owner, break-glass), and what the People page shows of a person: how they last signed
/// in (why they were switched off came with 20261201090000).
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201093000_SignInLinks")]
public sealed class SignInLinks : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "sign_in_links",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                token_hash = table.Column<string>(maxLength: 64, nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                created_by = table.Column<string>(maxLength: 200, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: false),
                used_at = table.Column<DateTime>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_sign_in_links", x => x.id);
                table.ForeignKey("FK_sign_in_links_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_sign_in_links_token_hash", "sign_in_links", "token_hash", unique: true);
        migrationBuilder.CreateIndex("IX_sign_in_links_user_id", "sign_in_links", "user_id");

        migrationBuilder.AddColumn<string>("last_sign_in_method", "users", maxLength: 64, nullable: true);
        migrationBuilder.AddColumn<DateTime>("last_sign_in_at", "users", nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("last_sign_in_at", "users");
        migrationBuilder.DropColumn("last_sign_in_method", "users");
        migrationBuilder.DropTable("sign_in_links");
    }
}
