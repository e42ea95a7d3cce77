using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>A person can be switched off (SCIM deprovisioning, losing every mapped group) without losing their history.</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201085000_UserActive")]
public sealed class UserActive : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<bool>("is_active", "users", nullable: false, defaultValue: true);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropColumn("is_active", "users");
}
