using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Each person's light or dark dashboard, kept on their row so it follows them to any browser.</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201050000_UserThemePreference")]
public sealed class UserThemePreference : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<bool>("prefers_dark_theme", "users", nullable: false, defaultValue: false);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropColumn("prefers_dark_theme", "users");
}
