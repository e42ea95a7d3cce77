using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>The audit chain becomes keyed: each entry names the key its HMAC was made with (null before this).</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201070000_AuditChainKeys")]
public sealed class AuditChainKeys : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<string>("key_id", "audit_entries", maxLength: 16, nullable: true);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropColumn("key_id", "audit_entries");
}
