using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>A/B experiments and their variants, callers' feedback on calls, shadow tests and their results; each call says its experiment and variant.</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261203103000_Experiments")]
public sealed class Experiments : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<Guid>("experiment_id", "calls", nullable: true);
        migrationBuilder.AddColumn<string>("experiment_variant", "calls", maxLength: 50, nullable: true);
        migrationBuilder.CreateIndex("IX_calls_experiment_id_at", "calls", ["experiment_id", "at"]);

        migrationBuilder.CreateTable(
            name: "experiments",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                model = table.Column<string>(maxLength: 200, nullable: false),
                team_id = table.Column<Guid>(nullable: true),
                project_id = table.Column<Guid>(nullable: true),
                tag = table.Column<string>(maxLength: 100, nullable: true),
                sticky_by = table.Column<string>(maxLength: 16, nullable: false),
                status = table.Column<string>(maxLength: 16, nullable: false),
                goal = table.Column<string>(maxLength: 16, nullable: false),
                alpha = table.Column<decimal>(precision: 9, scale: 4, nullable: false),
                min_samples = table.Column<int>(nullable: false),
                auto_promote = table.Column<bool>(nullable: false),
                winner = table.Column<string>(maxLength: 50, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                started_at = table.Column<DateTime>(nullable: true),
                concluded_at = table.Column<DateTime>(nullable: true),
                concluded_by = table.Column<string>(maxLength: 320, nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_experiments", x => x.id));

        migrationBuilder.CreateTable(
            name: "experiment_variants",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                experiment_id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 50, nullable: false),
                target_alias = table.Column<string>(maxLength: 200, nullable: false),
                percent = table.Column<int>(nullable: false),
                position = table.Column<int>(nullable: false),
                temperature = table.Column<decimal>(precision: 9, scale: 4, nullable: true),
                max_tokens = table.Column<int>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_experiment_variants", x => x.id);
                table.ForeignKey("FK_experiment_variants_experiments_experiment_id", x => x.experiment_id, "experiments", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_experiment_variants_experiment_id", "experiment_variants", "experiment_id");

        migrationBuilder.CreateTable(
            name: "call_feedback",
            columns: table => new
            {
                call_id = table.Column<Guid>(nullable: false),
                key_id = table.Column<Guid>(nullable: false),
                score = table.Column<decimal>(precision: 9, scale: 4, nullable: false),
                comment = table.Column<string>(maxLength: 1000, nullable: true),
                at = table.Column<DateTime>(nullable: false),
                replaced = table.Column<int>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_call_feedback", x => x.call_id));

        migrationBuilder.CreateTable(
            name: "shadow_tests",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                model = table.Column<string>(maxLength: 200, nullable: false),
                team_id = table.Column<Guid>(nullable: true),
                project_id = table.Column<Guid>(nullable: true),
                tag = table.Column<string>(maxLength: 100, nullable: true),
                shadow_alias = table.Column<string>(maxLength: 200, nullable: false),
                sample_percent = table.Column<decimal>(precision: 9, scale: 4, nullable: false),
                max_concurrent = table.Column<int>(nullable: false),
                billing_key_id = table.Column<Guid>(nullable: false),
                enabled = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_shadow_tests", x => x.id));

        migrationBuilder.CreateTable(
            name: "shadow_results",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                shadow_test_id = table.Column<Guid>(nullable: false),
                call_id = table.Column<Guid>(nullable: false),
                shadow_call_id = table.Column<Guid>(nullable: false),
                at = table.Column<DateTime>(nullable: false),
                primary_cost = table.Column<decimal>(precision: 28, scale: 12, nullable: false),
                primary_latency_ms = table.Column<int>(nullable: false),
                primary_input_tokens = table.Column<long>(nullable: false),
                primary_output_tokens = table.Column<long>(nullable: false),
                shadow_cost = table.Column<decimal>(precision: 28, scale: 12, nullable: false),
                shadow_latency_ms = table.Column<int>(nullable: false),
                shadow_input_tokens = table.Column<long>(nullable: false),
                shadow_output_tokens = table.Column<long>(nullable: false),
                shadow_status = table.Column<int>(nullable: false),
                shadow_error = table.Column<string>(maxLength: 40, nullable: true),
                exact_match = table.Column<bool>(nullable: false),
                normalised_match = table.Column<bool>(nullable: false),
                json_field_match = table.Column<decimal>(precision: 9, scale: 4, nullable: true),
                matched = table.Column<bool>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_shadow_results", x => x.id);
                table.ForeignKey("FK_shadow_results_shadow_tests_shadow_test_id", x => x.shadow_test_id, "shadow_tests", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_shadow_results_shadow_test_id_at", "shadow_results", ["shadow_test_id", "at"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("shadow_results");
        migrationBuilder.DropTable("shadow_tests");
        migrationBuilder.DropTable("call_feedback");
        migrationBuilder.DropTable("experiment_variants");
        migrationBuilder.DropTable("experiments");
        migrationBuilder.DropIndex("IX_calls_experiment_id_at", "calls");
        migrationBuilder.DropColumn("experiment_variant", "calls");
        migrationBuilder.DropColumn("experiment_id", "calls");
    }
}
