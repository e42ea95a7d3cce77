using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>Whether a provider bills requests it never answered (off: such attempts are charged and not retried).</summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201040000_UnansweredAttempts")]
public sealed class UnansweredAttempts : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<bool>("unanswered_attempts_free", "providers", nullable: false, defaultValue: false);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropColumn("unanswered_attempts_free", "providers");
}
