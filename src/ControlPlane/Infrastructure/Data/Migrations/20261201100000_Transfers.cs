using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Budget transfers between wallets and the decisions of their approvers (Features/Transfers).</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201100000_Transfers")]
public sealed class Transfers : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "transfers",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                from_wallet_id = table.Column<Guid>(nullable: true),
                to_wallet_id = table.Column<Guid>(nullable: false),
                amount = table.Column<decimal>(precision: 28, scale: 12, nullable: false),
                reason = table.Column<string>(maxLength: 500, nullable: false),
                grant_expires_at = table.Column<DateTime>(nullable: true),
                requested_by_id = table.Column<Guid>(nullable: true),
                requested_by = table.Column<string>(maxLength: 200, nullable: false),
                state = table.Column<string>(maxLength: 16, nullable: false),
                approvals_needed = table.Column<int>(nullable: false),
                requested_at = table.Column<DateTime>(nullable: false),
                pending_until = table.Column<DateTime>(nullable: false),
                decided_at = table.Column<DateTime>(nullable: true),
                returned_at = table.Column<DateTime>(nullable: true),
                returned_amount = table.Column<decimal>(precision: 28, scale: 12, nullable: true),
                version = table.Column<int>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_transfers", x => x.id);
                table.ForeignKey("FK_transfers_wallets_from_wallet_id", x => x.from_wallet_id, "wallets", "id", onDelete: ReferentialAction.Restrict);
                table.ForeignKey("FK_transfers_wallets_to_wallet_id", x => x.to_wallet_id, "wallets", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_transfers_state_pending_until", "transfers", ["state", "pending_until"]);
        migrationBuilder.CreateIndex("IX_transfers_state_grant_expires_at", "transfers", ["state", "grant_expires_at"]);
        migrationBuilder.CreateIndex("IX_transfers_to_wallet_id", "transfers", "to_wallet_id");
        migrationBuilder.CreateIndex("IX_transfers_from_wallet_id", "transfers", "from_wallet_id");
        migrationBuilder.CreateIndex("IX_transfers_requested_at", "transfers", "requested_at");

        migrationBuilder.CreateTable(
            name: "transfer_approvals",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                transfer_id = table.Column<Guid>(nullable: false),
                approver_id = table.Column<Guid>(nullable: true),
                approver = table.Column<string>(maxLength: 200, nullable: false),
                verdict = table.Column<string>(maxLength: 16, nullable: false),
                comment = table.Column<string>(maxLength: 500, nullable: true),
                at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_transfer_approvals", x => x.id);
                table.ForeignKey("FK_transfer_approvals_transfers_transfer_id", x => x.transfer_id, "transfers", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_transfer_approvals_transfer_id_approver", "transfer_approvals", ["transfer_id", "approver"], unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("transfer_approvals");
        migrationBuilder.DropTable("transfers");
    }
}
