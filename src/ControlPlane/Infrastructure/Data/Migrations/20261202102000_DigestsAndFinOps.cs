using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Digests: each person's cadence and the digests already sent (once per reader, cadence and period). FinOps: the cost
/// centre of teams and wallets, scheduled chargeback exports and their runs.
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

        migrationBuilder.CreateTable(
            name: "chargeback_schedules",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                cadence = table.Column<string>(maxLength: 16, nullable: false),
                day = table.Column<int>(nullable: false),
                layout = table.Column<string>(maxLength: 16, nullable: false),
                destination = table.Column<string>(maxLength: 16, nullable: false),
                target = table.Column<string>(maxLength: 1000, nullable: false),
                channel_id = table.Column<Guid>(nullable: true),
                secret = table.Column<string>(nullable: true),
                enabled = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_chargeback_schedules", x => x.id));
        migrationBuilder.CreateIndex("IX_chargeback_schedules_name", "chargeback_schedules", "name", unique: true);

        migrationBuilder.CreateTable(
            name: "chargeback_runs",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                schedule_id = table.Column<Guid>(nullable: false),
                started_at = table.Column<DateTime>(nullable: false),
                period_from = table.Column<DateTime>(nullable: false),
                period_to = table.Column<DateTime>(nullable: false),
                trigger = table.Column<string>(maxLength: 16, nullable: false),
                by = table.Column<string>(maxLength: 320, nullable: true),
                file_name = table.Column<string>(maxLength: 200, nullable: false),
                bytes = table.Column<int>(nullable: false),
                where = table.Column<string>(maxLength: 1000, nullable: false),
                ok = table.Column<bool>(nullable: false),
                error = table.Column<string>(maxLength: 1000, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_chargeback_runs", x => x.id);
                table.ForeignKey("FK_chargeback_runs_chargeback_schedules_schedule_id", x => x.schedule_id, "chargeback_schedules", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_chargeback_runs_schedule_id_period_from", "chargeback_runs", ["schedule_id", "period_from"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("chargeback_runs");
        migrationBuilder.DropTable("chargeback_schedules");
        migrationBuilder.DropColumn("cost_centre", "wallets");
        migrationBuilder.DropColumn("cost_centre", "teams");
        migrationBuilder.DropTable("digest_sends");
        migrationBuilder.DropTable("digest_preferences");
    }
}
