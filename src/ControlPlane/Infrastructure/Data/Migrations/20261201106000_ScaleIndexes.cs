using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// What the Requests page needs to stay fast over millions of calls (issue 12):
/// - sorting by latency walks one index holding the whole order (latency, at, id) instead of sorting the range;
/// - on SQLite, where costs are text, a virtual generated column holds the cost as a REAL with an index on (it, at, id)
///   (CallRecordConfiguration.AddSqliteCostOrder); the other databases already walk (cost, at);
/// - the rollups get the three sums the totals strip shows beside calls, tokens and cost (cached input tokens, calls
///   with an error class, unpriced rows), so the strip reads rollups, not the raw log. They are nullable: rows that
///   exist now lack them, and the strip sums the raw log for a range holding such a row (a rebuild fills them).
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201106000_ScaleIndexes")]
public sealed class ScaleIndexes : Migration
{
    private static readonly string[] RollupSums = ["cached_input_tokens", "failed", "unpriced"];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_calls_latency_ms_at", "calls");
        migrationBuilder.CreateIndex("IX_calls_latency_ms_at_id", "calls", ["latency_ms", "at", "id"]);
        if (migrationBuilder.IsSqlite())
        {
            // A virtual column can be added in place (EF would rebuild the table for it): nothing is written per row.
            migrationBuilder.Sql("""ALTER TABLE "calls" ADD COLUMN "cost_real" REAL NOT NULL AS (CAST("cost" AS REAL)) VIRTUAL;""");
            migrationBuilder.CreateIndex("IX_calls_cost_real_at_id", "calls", ["cost_real", "at", "id"]);
        }
        foreach (var column in RollupSums)
            migrationBuilder.AddColumn<long>(column, "call_rollups", nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var column in RollupSums)
            migrationBuilder.DropColumn(column, "call_rollups");
        if (migrationBuilder.IsSqlite())
        {
            migrationBuilder.DropIndex("IX_calls_cost_real_at_id", "calls");
            migrationBuilder.DropColumn("cost_real", "calls");
        }
        migrationBuilder.DropIndex("IX_calls_latency_ms_at_id", "calls");
        migrationBuilder.CreateIndex("IX_calls_latency_ms_at", "calls", ["latency_ms", "at"]);
    }
}
