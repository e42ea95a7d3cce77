using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Exact prices and one money scale. Every money column goes from numeric(20,10) to numeric(28,12), so a cost of
/// tokens × a 6-decimal price per million (12 decimals) is stored as computed and ledger sums equal wallet balances.
/// Prices gain a cache-write rate and calls the cache-write tokens. Existing prices whose cached-input price is 0 were
/// made when 0 was the default for "not given": they now charge cached input at the input price (never free by
/// omission); the calls already costed keep the cost they were stored with. Old prices get no cache-write rate (null):
/// they charge 1.25 × input, rounded up to the micro-dollar, the same default as a new price that names none.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201010000_ExactPrices")]
public sealed class ExactPrices : Migration
{
    private const int OldPrecision = 20, OldScale = 10, Precision = 28, Scale = 12;

    private static readonly (string Table, string Column, bool Nullable)[] MoneyColumns =
    [
        ("calls", "cost", false),
        ("wallets", "limit", true),
        ("wallets", "spent", false),
        ("wallets", "leased", false),
        ("ledger_entries", "amount", false),
        ("budget_leases", "granted", false),
        ("budget_leases", "used", false),
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // SQLite keeps decimals as TEXT, exactly, whatever the declared precision: nothing to widen there (and a
        // rebuild of the calls table for nothing would be slow on a big single-node database).
        if (!IsSqlite(migrationBuilder))
        {
            foreach (var (table, column, nullable) in MoneyColumns)
            {
                migrationBuilder.AlterColumn<decimal>(column, table, precision: Precision, scale: Scale, nullable: nullable,
                    oldClrType: typeof(decimal), oldPrecision: OldPrecision, oldScale: OldScale, oldNullable: nullable);
            }
        }

        migrationBuilder.AddColumn<decimal>("cache_write_input_per_million", "prices", precision: 18, scale: 6, nullable: true);
        migrationBuilder.AddColumn<long>("cache_write_input_tokens", "calls", nullable: false, defaultValue: 0L);
        if (!IsSqlite(migrationBuilder))
        {
            // The default only filled the existing rows; the model has none (SQLite keeps it: dropping needs a rebuild).
            migrationBuilder.AlterColumn<long>("cache_write_input_tokens", "calls", nullable: false, oldClrType: typeof(long), oldDefaultValue: 0L);
        }

        // CAST … AS REAL reads the value on every provider (SQLite stores it as text); the copy itself is exact.
        migrationBuilder.Sql("UPDATE prices SET cached_input_per_million = input_per_million WHERE CAST(cached_input_per_million AS REAL) = 0");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("cache_write_input_tokens", "calls");
        migrationBuilder.DropColumn("cache_write_input_per_million", "prices");
        if (!IsSqlite(migrationBuilder))
        {
            foreach (var (table, column, nullable) in MoneyColumns)
            {
                migrationBuilder.AlterColumn<decimal>(column, table, precision: OldPrecision, scale: OldScale, nullable: nullable,
                    oldClrType: typeof(decimal), oldPrecision: Precision, oldScale: Scale, oldNullable: nullable);
            }
        }
    }

    private static bool IsSqlite(MigrationBuilder migrationBuilder) =>
        migrationBuilder.ActiveProvider == "Microsoft.EntityFrameworkCore.Sqlite";
}
