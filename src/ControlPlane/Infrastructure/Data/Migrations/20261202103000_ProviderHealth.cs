using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Each provider's health as the poller last saw it, and the upstream models the model list sync offers to admins.</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261202103000_ProviderHealth")]
public sealed class ProviderHealth : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "provider_health",
            columns: table => new
            {
                provider_id = table.Column<Guid>(nullable: false),
                state = table.Column<string>(maxLength: 16, nullable: false),
                since = table.Column<DateTime>(nullable: false),
                checked_at = table.Column<DateTime>(nullable: false),
                last_error = table.Column<string>(maxLength: 500, nullable: true),
                consecutive_failures = table.Column<int>(nullable: false),
                probe_ms = table.Column<int>(nullable: true),
                recent_calls = table.Column<int>(nullable: false),
                recent_failures = table.Column<int>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_provider_health", x => x.provider_id);
                table.ForeignKey("FK_provider_health_providers_provider_id", x => x.provider_id, "providers", "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "offered_models",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                provider_id = table.Column<Guid>(nullable: false),
                upstream_model = table.Column<string>(maxLength: 200, nullable: false),
                status = table.Column<string>(maxLength: 16, nullable: false),
                first_seen_at = table.Column<DateTime>(nullable: false),
                last_seen_at = table.Column<DateTime>(nullable: false),
                decided_at = table.Column<DateTime>(nullable: true),
                decided_by = table.Column<string>(maxLength: 200, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_offered_models", x => x.id);
                table.ForeignKey("FK_offered_models_providers_provider_id", x => x.provider_id, "providers", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_offered_models_provider_id_upstream_model", "offered_models", ["provider_id", "upstream_model"], unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("offered_models");
        migrationBuilder.DropTable("provider_health");
    }
}
