using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Indexes for the Requests page over millions of calls: (at, id) is the keyset of the default order (it replaces the
/// index on at alone); each exact filter (model, provider, error class, end user) seeks by its column and reads in
/// time order; cost and latency are the columns the page sorts by.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201095000_RequestsIndexes")]
public sealed class RequestsIndexes : Migration
{
    private static readonly (string Name, string[] Columns)[] Added =
    [
        ("IX_calls_at_id", ["at", "id"]),
        ("IX_calls_model_requested_at", ["model_requested", "at"]),
        ("IX_calls_provider_name_at", ["provider_name", "at"]),
        ("IX_calls_error_class_at", ["error_class", "at"]),
        ("IX_calls_end_user_at", ["end_user", "at"]),
        ("IX_calls_cost_at", ["cost", "at"]),
        ("IX_calls_latency_ms_at", ["latency_ms", "at"]),
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_calls_at", "calls");
        foreach (var (name, columns) in Added)
            migrationBuilder.CreateIndex(name, "calls", columns);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var (name, _) in Added)
            migrationBuilder.DropIndex(name, "calls");
        migrationBuilder.CreateIndex("IX_calls_at", "calls", "at");
    }
}
