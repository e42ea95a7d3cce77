using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Reconciliation with the providers' own bills: stored reports and their lines, and where bills are fetched (admin keys encrypted).</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261202101000_Reconciliation")]
public sealed class Reconciliation : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "reconciliation_reports",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                day = table.Column<DateOnly>(nullable: false),
                provider = table.Column<string>(maxLength: 100, nullable: false),
                source = table.Column<string>(maxLength: 100, nullable: false),
                file_name = table.Column<string>(maxLength: 260, nullable: true),
                currency = table.Column<string>(maxLength: 3, nullable: false),
                their_cost = table.Column<decimal>(precision: 28, scale: 12, nullable: true),
                our_cost = table.Column<decimal>(precision: 28, scale: 12, nullable: false),
                drift = table.Column<decimal>(precision: 28, scale: 12, nullable: false),
                drift_lines = table.Column<int>(nullable: false),
                threshold_absolute = table.Column<decimal>(precision: 28, scale: 12, nullable: false),
                threshold_percent = table.Column<decimal>(precision: 9, scale: 4, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                created_by = table.Column<string>(maxLength: 320, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_reconciliation_reports", x => x.id));
        migrationBuilder.CreateIndex("IX_reconciliation_reports_created_at", "reconciliation_reports", "created_at");
        migrationBuilder.CreateIndex("IX_reconciliation_reports_provider_day", "reconciliation_reports", ["provider", "day"]);

        migrationBuilder.CreateTable(
            name: "reconciliation_lines",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                report_id = table.Column<Guid>(nullable: false),
                model = table.Column<string>(maxLength: 200, nullable: false),
                key_id = table.Column<Guid>(nullable: true),
                finding = table.Column<string>(maxLength: 32, nullable: false),
                drifted = table.Column<bool>(nullable: false),
                their_input_tokens = table.Column<long>(nullable: true),
                their_output_tokens = table.Column<long>(nullable: true),
                their_requests = table.Column<long>(nullable: true),
                their_cost = table.Column<decimal>(precision: 28, scale: 12, nullable: true),
                their_currency = table.Column<string>(maxLength: 3, nullable: true),
                our_input_tokens = table.Column<long>(nullable: false),
                our_output_tokens = table.Column<long>(nullable: false),
                our_requests = table.Column<long>(nullable: false),
                our_cost = table.Column<decimal>(precision: 28, scale: 12, nullable: false),
                difference = table.Column<decimal>(precision: 28, scale: 12, nullable: true),
                note = table.Column<string>(maxLength: 1000, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_reconciliation_lines", x => x.id);
                table.ForeignKey("FK_reconciliation_lines_reconciliation_reports_report_id", x => x.report_id, "reconciliation_reports", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_reconciliation_lines_report_id", "reconciliation_lines", "report_id");

        migrationBuilder.CreateTable(
            name: "reconciliation_sources",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                provider = table.Column<string>(maxLength: 100, nullable: false),
                api = table.Column<string>(maxLength: 16, nullable: false),
                base_url = table.Column<string>(maxLength: 500, nullable: false),
                encrypted_admin_key = table.Column<string>(nullable: true),
                admin_key_hint = table.Column<string>(maxLength: 100, nullable: true),
                updated_at = table.Column<DateTime>(nullable: false),
                updated_by = table.Column<string>(maxLength: 320, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_reconciliation_sources", x => x.id));
        migrationBuilder.CreateIndex("IX_reconciliation_sources_provider", "reconciliation_sources", "provider", unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("reconciliation_lines");
        migrationBuilder.DropTable("reconciliation_reports");
        migrationBuilder.DropTable("reconciliation_sources");
    }
}
