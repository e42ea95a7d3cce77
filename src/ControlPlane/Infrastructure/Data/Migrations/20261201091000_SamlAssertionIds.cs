using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>SAML assertion ids already used, shared by every node, so an assertion signs someone in only once.</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201091000_SamlAssertionIds")]
public sealed class SamlAssertionIds : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "saml_assertion_ids",
            columns: table => new
            {
                id = table.Column<string>(maxLength: 256, nullable: false),
                expires_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_saml_assertion_ids", x => x.id));
        migrationBuilder.CreateIndex("IX_saml_assertion_ids_expires_at", "saml_assertion_ids", "expires_at");
    }

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropTable("saml_assertion_ids");
}
