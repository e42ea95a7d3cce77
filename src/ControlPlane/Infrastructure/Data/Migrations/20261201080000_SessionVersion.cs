using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Sessions carry the person's session version; raising it ends them all (sign-out, sign out everywhere).</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201080000_SessionVersion")]
public sealed class SessionVersion : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<int>("session_version", "users", nullable: false, defaultValue: 0);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropColumn("session_version", "users");
}
