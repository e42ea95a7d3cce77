using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// The provider-side project, key and workspace ids that belong to each of our provider connections (reconciliation
/// splits an organisation-wide bill by them), and the ids a report found that belong to none.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261203101000_BillingIds")]
public sealed class BillingIds : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>("billing_ids", "providers", maxLength: 2000, nullable: true);
        migrationBuilder.AddColumn<string>("unmatched_scopes", "reconciliation_reports", maxLength: 2000, nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("unmatched_scopes", "reconciliation_reports");
        migrationBuilder.DropColumn("billing_ids", "providers");
    }
}
