using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Whether a team's keys may request (and decide) budget transfers over /v1/wallet; both off by default.</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201107000_TeamTransferApi")]
public sealed class TeamTransferApi : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<bool>("allow_key_transfer_requests", "teams", nullable: false, defaultValue: false);
        migrationBuilder.AddColumn<bool>("allow_key_transfer_decisions", "teams", nullable: false, defaultValue: false);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("allow_key_transfer_requests", "teams");
        migrationBuilder.DropColumn("allow_key_transfer_decisions", "teams");
    }
}
