using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Wallets, their double-entry ledger, budget leases and threshold events.</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261122020000_Wallets")]
public sealed class Wallets : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "wallets",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 200, nullable: false),
                owner_kind = table.Column<string>(maxLength: 16, nullable: false),
                owner_id = table.Column<Guid>(nullable: false),
                parent_wallet_id = table.Column<Guid>(nullable: true),
                period = table.Column<string>(maxLength: 16, nullable: false),
                limit = table.Column<decimal>(precision: 20, scale: 10, nullable: true),
                overdraft_percent = table.Column<decimal>(precision: 9, scale: 4, nullable: false),
                thresholds = table.Column<string>(maxLength: 100, nullable: false),
                exhaustion_policy = table.Column<string>(maxLength: 16, nullable: false),
                downgrade_alias = table.Column<string>(maxLength: 100, nullable: true),
                period_start = table.Column<DateTime>(nullable: false),
                spent = table.Column<decimal>(precision: 20, scale: 10, nullable: false),
                leased = table.Column<decimal>(precision: 20, scale: 10, nullable: false),
                announced_threshold = table.Column<int>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_wallets", x => x.id);
                table.ForeignKey("FK_wallets_wallets_parent_wallet_id", x => x.parent_wallet_id, "wallets", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_wallets_owner_kind_owner_id", "wallets", ["owner_kind", "owner_id"], unique: true);
        migrationBuilder.CreateIndex("IX_wallets_parent_wallet_id", "wallets", "parent_wallet_id");

        migrationBuilder.CreateTable(
            name: "ledger_entries",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                transaction_id = table.Column<Guid>(nullable: false),
                at = table.Column<DateTime>(nullable: false),
                wallet_id = table.Column<Guid>(nullable: true),
                account = table.Column<string>(maxLength: 16, nullable: false),
                kind = table.Column<string>(maxLength: 16, nullable: false),
                amount = table.Column<decimal>(precision: 20, scale: 10, nullable: false),
                call_id = table.Column<Guid>(nullable: true),
                lease_id = table.Column<Guid>(nullable: true),
                note = table.Column<string>(maxLength: 300, nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_ledger_entries", x => x.id));
        migrationBuilder.CreateIndex("IX_ledger_entries_wallet_id_account", "ledger_entries", ["wallet_id", "account"]);
        migrationBuilder.CreateIndex("IX_ledger_entries_transaction_id", "ledger_entries", "transaction_id");
        migrationBuilder.CreateIndex("IX_ledger_entries_at", "ledger_entries", "at");

        migrationBuilder.CreateTable(
            name: "budget_leases",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                wallet_id = table.Column<Guid>(nullable: false),
                node = table.Column<string>(maxLength: 100, nullable: false),
                granted = table.Column<decimal>(precision: 20, scale: 10, nullable: false),
                used = table.Column<decimal>(precision: 20, scale: 10, nullable: false),
                granted_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: false),
                returned_at = table.Column<DateTime>(nullable: true),
                swept = table.Column<bool>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_budget_leases", x => x.id);
                table.ForeignKey("FK_budget_leases_wallets_wallet_id", x => x.wallet_id, "wallets", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_budget_leases_wallet_id_returned_at", "budget_leases", ["wallet_id", "returned_at"]);
        migrationBuilder.CreateIndex("IX_budget_leases_expires_at", "budget_leases", "expires_at");

        migrationBuilder.CreateTable(
            name: "wallet_events",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                wallet_id = table.Column<Guid>(nullable: false),
                kind = table.Column<string>(maxLength: 16, nullable: false),
                threshold = table.Column<int>(nullable: false),
                period_start = table.Column<DateTime>(nullable: false),
                at = table.Column<DateTime>(nullable: false),
                message = table.Column<string>(maxLength: 300, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_wallet_events", x => x.id);
                table.ForeignKey("FK_wallet_events_wallets_wallet_id", x => x.wallet_id, "wallets", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_wallet_events_wallet_id_kind_threshold_period_start", "wallet_events", ["wallet_id", "kind", "threshold", "period_start"], unique: true);
        migrationBuilder.CreateIndex("IX_wallet_events_at", "wallet_events", "at");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[] { "wallet_events", "budget_leases", "ledger_entries", "wallets" })
            migrationBuilder.DropTable(table);
    }
}
