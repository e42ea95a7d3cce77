using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>The gateway: providers, the model catalogue, the price book, the call log, kept payloads, the key ring.</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261122000000_Gateway")]
public sealed class Gateway : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<int>("keep_payloads_days", "teams", nullable: true);

        migrationBuilder.CreateTable(
            name: "data_protection_keys",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                friendly_name = table.Column<string>(maxLength: 200, nullable: true),
                xml = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_data_protection_keys", x => x.id));

        migrationBuilder.CreateTable(
            name: "providers",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                kind = table.Column<string>(maxLength: 32, nullable: false),
                base_url = table.Column<string>(maxLength: 500, nullable: false),
                api_version = table.Column<string>(maxLength: 40, nullable: true),
                encrypted_api_key = table.Column<string>(maxLength: 4000, nullable: true),
                api_key_hint = table.Column<string>(maxLength: 8, nullable: true),
                enabled = table.Column<bool>(nullable: false),
                managed_by_configuration = table.Column<bool>(nullable: false),
                connect_timeout_seconds = table.Column<int>(nullable: false),
                first_byte_timeout_seconds = table.Column<int>(nullable: false),
                idle_timeout_seconds = table.Column<int>(nullable: false),
                total_timeout_seconds = table.Column<int>(nullable: false),
                max_retries = table.Column<int>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_providers", x => x.id));
        migrationBuilder.CreateIndex("IX_providers_name", "providers", "name", unique: true);

        migrationBuilder.CreateTable(
            name: "catalog_models",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                alias = table.Column<string>(maxLength: 100, nullable: false),
                kind = table.Column<string>(maxLength: 16, nullable: false),
                context_window = table.Column<int>(nullable: false),
                supports_tools = table.Column<bool>(nullable: false),
                supports_vision = table.Column<bool>(nullable: false),
                enabled = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_catalog_models", x => x.id));
        migrationBuilder.CreateIndex("IX_catalog_models_alias", "catalog_models", "alias", unique: true);

        migrationBuilder.CreateTable(
            name: "model_targets",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                model_id = table.Column<Guid>(nullable: false),
                provider_id = table.Column<Guid>(nullable: false),
                upstream_model = table.Column<string>(maxLength: 200, nullable: false),
                priority = table.Column<int>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_model_targets", x => x.id);
                table.ForeignKey("FK_model_targets_catalog_models_model_id", x => x.model_id, "catalog_models", "id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_model_targets_providers_provider_id", x => x.provider_id, "providers", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_model_targets_model_id_priority", "model_targets", ["model_id", "priority"]);
        migrationBuilder.CreateIndex("IX_model_targets_provider_id", "model_targets", "provider_id");

        migrationBuilder.CreateTable(
            name: "prices",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                provider_id = table.Column<Guid>(nullable: false),
                upstream_model = table.Column<string>(maxLength: 200, nullable: false),
                effective_from = table.Column<DateTime>(nullable: false),
                input_per_million = table.Column<decimal>(precision: 18, scale: 6, nullable: false),
                cached_input_per_million = table.Column<decimal>(precision: 18, scale: 6, nullable: false),
                output_per_million = table.Column<decimal>(precision: 18, scale: 6, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                created_by = table.Column<string>(maxLength: 320, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_prices", x => x.id);
                table.ForeignKey("FK_prices_providers_provider_id", x => x.provider_id, "providers", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_prices_provider_id_upstream_model_effective_from", "prices", ["provider_id", "upstream_model", "effective_from"], unique: true);

        migrationBuilder.CreateTable(
            name: "calls",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                at = table.Column<DateTime>(nullable: false),
                key_id = table.Column<Guid>(nullable: true),
                team_id = table.Column<Guid>(nullable: true),
                caller = table.Column<string>(maxLength: 200, nullable: true),
                end_user = table.Column<string>(maxLength: 200, nullable: true),
                endpoint = table.Column<string>(maxLength: 16, nullable: false),
                model_requested = table.Column<string>(maxLength: 200, nullable: true),
                model_served = table.Column<string>(maxLength: 200, nullable: true),
                provider_id = table.Column<Guid>(nullable: true),
                provider_name = table.Column<string>(maxLength: 100, nullable: true),
                route_reason = table.Column<string>(maxLength: 300, nullable: true),
                status = table.Column<int>(nullable: false),
                error_class = table.Column<string>(maxLength: 40, nullable: true),
                retries = table.Column<int>(nullable: false),
                streamed = table.Column<bool>(nullable: false),
                input_tokens = table.Column<long>(nullable: false),
                cached_input_tokens = table.Column<long>(nullable: false),
                output_tokens = table.Column<long>(nullable: false),
                cost = table.Column<decimal>(precision: 20, scale: 10, nullable: false),
                unpriced = table.Column<bool>(nullable: false),
                usage_source = table.Column<string>(maxLength: 16, nullable: false),
                time_to_first_token_ms = table.Column<int>(nullable: true),
                latency_ms = table.Column<int>(nullable: false),
                output_tokens_per_second = table.Column<double>(nullable: true),
                request_bytes = table.Column<long>(nullable: false),
                response_bytes = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_calls", x => x.id));
        migrationBuilder.CreateIndex("IX_calls_at", "calls", "at");
        migrationBuilder.CreateIndex("IX_calls_team_id_at", "calls", ["team_id", "at"]);
        migrationBuilder.CreateIndex("IX_calls_key_id_at", "calls", ["key_id", "at"]);

        migrationBuilder.CreateTable(
            name: "call_payloads",
            columns: table => new
            {
                call_id = table.Column<Guid>(nullable: false),
                request = table.Column<string>(nullable: false),
                response = table.Column<string>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_call_payloads", x => x.call_id));
        migrationBuilder.CreateIndex("IX_call_payloads_expires_at", "call_payloads", "expires_at");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[] { "call_payloads", "calls", "prices", "model_targets", "catalog_models", "providers", "data_protection_keys" })
            migrationBuilder.DropTable(table);
        migrationBuilder.DropColumn("keep_payloads_days", "teams");
    }
}
