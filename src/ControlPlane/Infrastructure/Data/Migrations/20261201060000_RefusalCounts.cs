using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// How many calls a row stands for: refusals of one key and reason are written as one row per minute with their count,
/// so a revoked or rate-limited key cannot flood the call log. Every earlier row stands for one call.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201060000_RefusalCounts")]
public sealed class RefusalCounts : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<int>("count", "calls", nullable: false, defaultValue: 1);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropColumn("count", "calls");
}
