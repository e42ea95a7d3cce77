using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Audit entries carry the changed entities' state before and after (JSON, secrets redacted) and say which hash input
/// covers them: existing entries stay version 1 and keep verifying; new ones are version 2.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201105000_AuditBeforeAfter")]
public sealed class AuditBeforeAfter : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<int>("hash_version", "audit_entries", nullable: false, defaultValue: 1);
        migrationBuilder.AddColumn<string>("before", "audit_entries", nullable: true);
        migrationBuilder.AddColumn<string>("after", "audit_entries", nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("after", "audit_entries");
        migrationBuilder.DropColumn("before", "audit_entries");
        migrationBuilder.DropColumn("hash_version", "audit_entries");
    }
}
