using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Digests: each person's cadence and the digests already sent (once per reader, cadence and period). FinOps: the cost
/// centre of teams and wallets.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261202102000_DigestsAndFinOps")]
public sealed class DigestsAndFinOps : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "digest_preferences",
            columns: table => new
            {
                user_id = table.Column<Guid>(nullable: false),
                cadence = table.Column<string>(maxLength: 16, nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_digest_preferences", x => x.user_id);
                table.ForeignKey("FK_digest_preferences_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "digest_sends",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                reader = table.Column<string>(maxLength: 64, nullable: false),
                cadence = table.Column<string>(maxLength: 16, nullable: false),
                period_start = table.Column<DateTime>(nullable: false),
                sent_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_digest_sends", x => x.id));
        migrationBuilder.CreateIndex("IX_digest_sends_reader_cadence_period_start", "digest_sends", ["reader", "cadence", "period_start"], unique: true);

        migrationBuilder.AddColumn<string>("cost_centre", "teams", maxLength: 40, nullable: true);
        migrationBuilder.AddColumn<string>("cost_centre", "wallets", maxLength: 40, nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("cost_centre", "wallets");
        migrationBuilder.DropColumn("cost_centre", "teams");
        migrationBuilder.DropTable("digest_sends");
        migrationBuilder.DropTable("digest_preferences");
    }
}
