using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// The management API: admin tokens (hashed, with role, teams, expiry, last use) and the answers kept for
/// Idempotency-Key replays (encrypted, for a day).
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261203105000_ManagementApi")]
public sealed class ManagementApiStore : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "admin_tokens",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                prefix = table.Column<string>(maxLength: 32, nullable: false),
                hash = table.Column<string>(maxLength: 64, nullable: false),
                role = table.Column<string>(maxLength: 32, nullable: false),
                team_ids = table.Column<string>(maxLength: 4000, nullable: true),
                created_by_id = table.Column<Guid>(nullable: false),
                created_by = table.Column<string>(maxLength: 320, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: false),
                last_used_at = table.Column<DateTime>(nullable: true),
                revoked_at = table.Column<DateTime>(nullable: true),
                revoked_by = table.Column<string>(maxLength: 320, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_admin_tokens", x => x.id);
                table.ForeignKey("FK_admin_tokens_users_created_by_id", x => x.created_by_id, "users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_admin_tokens_hash", "admin_tokens", "hash", unique: true);
        migrationBuilder.CreateIndex("IX_admin_tokens_prefix", "admin_tokens", "prefix", unique: true);
        migrationBuilder.CreateIndex("IX_admin_tokens_created_by_id", "admin_tokens", "created_by_id");

        migrationBuilder.CreateTable(
            name: "idempotency_records",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                owner = table.Column<string>(maxLength: 100, nullable: false),
                key = table.Column<string>(maxLength: 200, nullable: false),
                request_hash = table.Column<string>(maxLength: 64, nullable: false),
                status_code = table.Column<int>(nullable: false),
                response_body = table.Column<string>(nullable: true),
                location = table.Column<string>(maxLength: 400, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_idempotency_records", x => x.id));
        migrationBuilder.CreateIndex("IX_idempotency_records_owner_key", "idempotency_records", ["owner", "key"], unique: true);
        migrationBuilder.CreateIndex("IX_idempotency_records_created_at", "idempotency_records", "created_at");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("idempotency_records");
        migrationBuilder.DropTable("admin_tokens");
    }
}
