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
            var lines = db.Database.IsNpgsql() ? await PostgresAsync(connection)
                : db.Database.IsSqlServer() ? await SqlServerAsync(connection)
                : await SqliteAsync(connection);
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

    private static async Task<List<string>> SqlServerAsync(DbConnection c)
    {
        var lines = new List<string>();
        foreach (var r in await QueryAsync(c, "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME NOT LIKE '__EFMigrations%'"))
            lines.Add($"table {r[0]}");
        foreach (var r in await QueryAsync(c, """
            SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE,
                   COALESCE(CAST(CHARACTER_MAXIMUM_LENGTH AS varchar(20)), CAST(NUMERIC_PRECISION AS varchar(10)) + ',' + CAST(NUMERIC_SCALE AS varchar(10)), ''),
                   IS_NULLABLE, COALESCE(COLUMN_DEFAULT, '')
            FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME NOT LIKE '__EFMigrations%'
            """))
            lines.Add($"column {r[0]}.{r[1]} {r[2]}({r[3]}) {(r[4] == "NO" ? "not null" : "null")} default '{r[5]}'");
        foreach (var r in await QueryAsync(c, """
            SELECT t.name, i.name, i.is_primary_key, i.is_unique, i.is_unique_constraint, COALESCE(i.filter_definition, ''),
                   STRING_AGG(col.name, ', ') WITHIN GROUP (ORDER BY ic.key_ordinal)
            FROM sys.indexes i
            JOIN sys.tables t ON t.object_id = i.object_id
            JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
            JOIN sys.columns col ON col.object_id = ic.object_id AND col.column_id = ic.column_id
            WHERE i.type > 0 AND t.name NOT LIKE '__EFMigrations%'
            GROUP BY t.name, i.name, i.is_primary_key, i.is_unique, i.is_unique_constraint, i.filter_definition
            """))
            lines.Add($"index {r[0]}.{r[1]} ({r[6]}) pk {r[2]} unique {r[3]} constraint {r[4]} where '{r[5]}'");
        foreach (var r in await QueryAsync(c, """
            SELECT t.name, fk.name, rt.name, fk.delete_referential_action_desc,
                   STRING_AGG(pc.name, ', ') WITHIN GROUP (ORDER BY fkc.constraint_column_id),
                   STRING_AGG(rc.name, ', ') WITHIN GROUP (ORDER BY fkc.constraint_column_id)
            FROM sys.foreign_keys fk
            JOIN sys.tables t ON t.object_id = fk.parent_object_id
            JOIN sys.tables rt ON rt.object_id = fk.referenced_object_id
            JOIN sys.foreign_key_columns fkc ON fkc.constraint_object_id = fk.object_id
            JOIN sys.columns pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id
            JOIN sys.columns rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id
            GROUP BY t.name, fk.name, rt.name, fk.delete_referential_action_desc
            """))
            lines.Add($"fk {r[0]}.{r[1]} ({r[4]}) -> {r[2]} ({r[5]}) on delete {r[3]}");
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
