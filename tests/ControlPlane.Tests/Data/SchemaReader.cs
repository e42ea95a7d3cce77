using System.Data.Common;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Data;

/// <summary>
/// Describes a database's schema as sorted lines (tables, columns with type and nullability, primary keys, foreign
/// keys with delete rules, indexes with uniqueness), read from the database's own catalogue.
/// </summary>
public static class SchemaReader
{
    public static async Task<IReadOnlyList<string>> DescribeAsync(ControlPlaneDb db)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            var lines = db.Database.IsNpgsql() ? await PostgresAsync(connection) : await SqliteAsync(connection);
            return [.. lines.Order(StringComparer.Ordinal)];
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<List<string>> SqliteAsync(DbConnection c)
    {
        var lines = new List<string>();
        var tables = await QueryAsync(c, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__EFMigrations%'");
        foreach (var t in tables.Select(r => r[0]))
        {
            lines.Add($"table {t}");
            foreach (var col in await QueryAsync(c, $"SELECT name, type, \"notnull\", pk FROM pragma_table_info('{t}')"))
            {
                lines.Add($"column {t}.{col[0]} {col[1]} {(col[2] == "1" ? "not null" : "null")}");
                if (col[3] != "0") lines.Add($"pk {t} #{col[3]} {col[0]}");
            }
            foreach (var fk in await QueryAsync(c, $"SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list('{t}')"))
                lines.Add($"fk {t}.{fk[0]} -> {fk[1]}.{fk[2]} on delete {fk[3]}");
            foreach (var ix in await QueryAsync(c, $"SELECT name, \"unique\", origin FROM pragma_index_list('{t}') WHERE origin = 'c'"))
            {
                var cols = await QueryAsync(c, $"SELECT name FROM pragma_index_info('{ix[0]}') ORDER BY seqno");
                lines.Add($"index {t}.{ix[0]} ({string.Join(", ", cols.Select(r => r[0]))}){(ix[1] == "1" ? " unique" : "")}");
            }
        }
        return lines;
    }

    private static async Task<List<string>> PostgresAsync(DbConnection c)
    {
        var lines = new List<string>();
        foreach (var r in await QueryAsync(c, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '__EFMigrations%'"))
            lines.Add($"table {r[0]}");
        foreach (var r in await QueryAsync(c, """
            SELECT table_name, column_name, data_type, coalesce(character_maximum_length::text, numeric_precision || ',' || numeric_scale, ''), is_nullable, coalesce(column_default, ''), is_identity
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '__EFMigrations%'
            """))
            lines.Add($"column {r[0]}.{r[1]} {r[2]}({r[3]}) {(r[4] == "NO" ? "not null" : "null")} default '{r[5]}' identity {r[6]}");
        foreach (var r in await QueryAsync(c, """
            SELECT con.conname, rel.relname, con.contype, pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_namespace ns ON ns.oid = rel.relnamespace
            WHERE ns.nspname = 'public' AND rel.relname NOT LIKE '__EFMigrations%'
            """))
            lines.Add($"constraint {r[1]}.{r[0]} {r[2]} {r[3]}");
        foreach (var r in await QueryAsync(c, "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE '__EFMigrations%'"))
            lines.Add($"index {r[0]}.{r[1]} {r[2]}");
        return lines;
    }

    private static async Task<List<string[]>> QueryAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "")]);
        return rows;
    }
}
