using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Limits beside money: a key's requests/min, tokens/min and own per-caller ceiling (all optional).</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261122010000_Limits")]
public sealed class Limits : Migration
{
    private static readonly string[] Columns = ["requests_per_minute", "tokens_per_minute", "caller_ceiling_calls"];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        foreach (var column in Columns)
            migrationBuilder.AddColumn<int>(column, "api_keys", nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var column in Columns)
            migrationBuilder.DropColumn(column, "api_keys");
    }
}
