using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// The call log summed per minute, hour and day × team × key × model × provider × caller, so the Overview never scans
/// the raw log. Existing rows are not summed here: `CallRollups.RebuildAsync` (run by the demo seed and the seeding
/// verb) fills a range from the rows.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201094000_CallRollups")]
public sealed class CallRollupTable : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "call_rollups",
            columns: table => new
            {
                grain = table.Column<int>(nullable: false),
                bucket = table.Column<DateTime>(nullable: false),
                dims = table.Column<Guid>(nullable: false),
                team_id = table.Column<Guid>(nullable: false),
                key_id = table.Column<Guid>(nullable: false),
                model = table.Column<string>(maxLength: 200, nullable: false),
                provider = table.Column<string>(maxLength: 100, nullable: false),
                caller = table.Column<string>(maxLength: 200, nullable: false),
                calls = table.Column<long>(nullable: false),
                errors = table.Column<long>(nullable: false),
                input_tokens = table.Column<long>(nullable: false),
                output_tokens = table.Column<long>(nullable: false),
                cost = table.Column<decimal>(precision: 28, scale: 12, nullable: false),
                latency_ms = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_call_rollups", x => new { x.grain, x.bucket, x.dims }));
        migrationBuilder.CreateIndex("IX_call_rollups_grain_team_id_bucket", "call_rollups", ["grain", "team_id", "bucket"]);
        migrationBuilder.CreateIndex("IX_call_rollups_grain_key_id_bucket", "call_rollups", ["grain", "key_id", "bucket"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("call_rollups");
}
