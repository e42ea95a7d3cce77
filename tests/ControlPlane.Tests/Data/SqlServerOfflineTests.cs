using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;

namespace ControlPlane.Tests.Data;

/// <summary>
/// No SQL Server runs on the CI machines, so the SQL Server form of the schema is proved offline: the model is built
/// for SQL Server (no connection is ever opened), the migrations' operations are played onto an empty catalogue
/// exactly as SQL Server's DDL generator would type them, and the result must equal the model's relational mapping.
/// The idempotent script a SQL Server operator runs must generate and cover every table.
/// </summary>
public sealed class SqlServerOfflineTests
{
    private const string DummyConnection = "Server=127.0.0.1,1;Database=controlplane;User Id=offline;Password=offline;Encrypt=False";

    private static ControlPlaneDb Open()
    {
        var options = new DbContextOptionsBuilder<ControlPlaneDb>();
        DataSetup.Configure(options, new DatabaseOptions { Provider = DatabaseProvider.SqlServer, ConnectionString = DummyConnection }, Path.GetTempPath());
        return new ControlPlaneDb(options.Options);
    }

    [Fact]
    public void An_idempotent_SQL_Server_migration_script_generates_and_creates_every_table()
    {
        using var db = Open();
        Assert.True(db.Database.IsSqlServer());
        var script = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);

        Assert.False(string.IsNullOrWhiteSpace(script));
        foreach (var table in db.Model.GetEntityTypes().Select(e => e.GetTableName()).Distinct())
            Assert.Contains($"CREATE TABLE [{table}]", script, StringComparison.Ordinal);
        // Idempotent: every migration is guarded by the history table.
        foreach (var migration in db.Database.GetMigrations())
            Assert.Contains($"[MigrationId] = N'{migration}'", script, StringComparison.Ordinal);
    }

    [Fact]
    public void The_SQL_Server_schema_the_migrations_build_equals_the_model()
    {
        using var db = Open();
        var migrated = SqlServerCatalogue.FromMigrations(db);
        var model = SqlServerCatalogue.FromModel(db.GetService<IDesignTimeModel>().Model.GetRelationalModel());

        Assert.Equal(model, migrated);
        var tables = db.Model.GetEntityTypes().Select(e => $"table {e.GetTableName()}").Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(tables, migrated.Where(l => l.StartsWith("table ", StringComparison.Ordinal)));
    }

    [Fact]
    public void No_SQL_Server_key_or_index_column_is_unbounded()
    {
        // nvarchar(max) / varbinary(max) cannot be a key or index column on SQL Server: the DDL would fail there.
        using var db = Open();
        var model = db.GetService<IDesignTimeModel>().Model.GetRelationalModel();
        var keyed = model.Tables.SelectMany(t =>
            t.Indexes.SelectMany(i => i.Columns)
                .Concat(t.UniqueConstraints.SelectMany(u => u.Columns))
                .Concat(t.ForeignKeyConstraints.SelectMany(f => f.Columns)));
        Assert.Empty(keyed.Where(c => c.StoreType.EndsWith("(max)", StringComparison.Ordinal)).Select(c => $"{c.Table.Name}.{c.Name} {c.StoreType}").Distinct());
    }
}

/// <summary>
/// A SQL Server catalogue as sorted lines (the shape SchemaReader gives for a live database), built either from the
/// model's relational mapping or by playing the migrations' operations in order. An operation this player does not
/// know fails the test rather than being skipped.
/// </summary>
internal static class SqlServerCatalogue
{
    private sealed record Column(string StoreType, bool Nullable, string Default);
    private sealed record Index(string[] Columns, bool Unique, string? Filter);
    private sealed record ForeignKey(string[] Columns, string PrincipalTable, string[] PrincipalColumns, ReferentialAction OnDelete);

    private sealed class Table
    {
        public Dictionary<string, Column> Columns { get; } = new(StringComparer.Ordinal);
        public List<string> PrimaryKey { get; set; } = [];
        public string? PrimaryKeyName { get; set; }
        public Dictionary<string, Index> Indexes { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, ForeignKey> ForeignKeys { get; } = new(StringComparer.Ordinal);
    }

    public static IReadOnlyList<string> FromModel(IRelationalModel model)
    {
        var tables = new Dictionary<string, Table>(StringComparer.Ordinal);
        foreach (var t in model.Tables)
        {
            var table = tables[t.Name] = new Table();
            foreach (var c in t.Columns)
                table.Columns[c.Name] = new Column(c.StoreType, c.IsNullable, DefaultOf(c.DefaultValue, c.DefaultValueSql));
            if (t.PrimaryKey is { } pk) { table.PrimaryKey = [.. pk.Columns.Select(c => c.Name)]; table.PrimaryKeyName = pk.Name; }
            foreach (var u in t.UniqueConstraints.Where(u => u != t.PrimaryKey))
                table.Indexes[u.Name] = new Index([.. u.Columns.Select(c => c.Name)], true, null);
            foreach (var i in t.Indexes)
                table.Indexes[i.Name] = new Index([.. i.Columns.Select(c => c.Name)], i.IsUnique, i.Filter);
            foreach (var f in t.ForeignKeyConstraints)
                table.ForeignKeys[f.Name] = new ForeignKey([.. f.Columns.Select(c => c.Name)], f.PrincipalTable.Name, [.. f.PrincipalColumns.Select(c => c.Name)], f.OnDeleteAction);
        }
        return Describe(tables);
    }

    public static IReadOnlyList<string> FromMigrations(ControlPlaneDb db)
    {
        var types = db.GetService<IRelationalTypeMappingSource>();
        var migrations = db.GetService<IMigrationsAssembly>();
        var generator = db.GetService<IMigrationsSqlGenerator>();
        var tables = new Dictionary<string, Table>(StringComparer.Ordinal);
        var problems = new List<string>();

        // As SqlServerMigrationsSqlGenerator types a column when the migration carries no target model (ours don't).
        string TypeOf(ColumnOperation c) => c.ColumnType ?? types.FindMapping(c.ClrType, null, false, c.IsUnicode, c.MaxLength, c.IsRowVersion, c.IsFixedLength, c.Precision, c.Scale)?.StoreType
            ?? throw new InvalidOperationException($"No SQL Server type for {c.Table}.{c.Name} ({c.ClrType})");
        Column ColumnOf(ColumnOperation c) => new(TypeOf(c), c.IsNullable, DefaultOf(c.DefaultValue, c.DefaultValueSql));
        // Read back from the DDL itself, plain and idempotent (EF may add a filter of its own, and wraps filtered
        // indexes in EXEC in idempotent scripts); both must agree.
        string? FilterIn(CreateIndexOperation o, MigrationsSqlGenerationOptions options)
        {
            var sql = string.Concat(generator.Generate([o], model: null, options).Select(c => c.CommandText)).Trim().TrimEnd(';');
            if (sql.StartsWith("EXEC(N'", StringComparison.Ordinal)) sql = sql[7..^2].Replace("''", "'", StringComparison.Ordinal);
            var where = sql.IndexOf(" WHERE ", StringComparison.Ordinal);
            return where < 0 ? null : sql[(where + " WHERE ".Length)..];
        }
        string? FilterWritten(CreateIndexOperation o)
        {
            var plain = FilterIn(o, MigrationsSqlGenerationOptions.Default);
            var idempotent = FilterIn(o, MigrationsSqlGenerationOptions.Idempotent);
            if (plain != idempotent) problems.Add($"index {o.Name}: filter '{plain}' in a plain script, '{idempotent}' in an idempotent one");
            return plain;
        }
        bool Indexed(Table t, string column) => t.PrimaryKey.Contains(column) || t.Indexes.Values.Any(i => i.Columns.Contains(column)) || t.ForeignKeys.Values.Any(f => f.Columns.Contains(column));

        foreach (var (id, type) in migrations.Migrations.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var migration = migrations.CreateMigration(type, "Microsoft.EntityFrameworkCore.SqlServer");
            foreach (var op in migration.UpOperations)
            {
                switch (op)
                {
                    case CreateTableOperation o:
                        var created = tables[o.Name] = new Table();
                        foreach (var c in o.Columns) created.Columns[c.Name] = ColumnOf(c);
                        if (o.PrimaryKey is { } pk) { created.PrimaryKey = [.. pk.Columns]; created.PrimaryKeyName = pk.Name; }
                        foreach (var u in o.UniqueConstraints) created.Indexes[u.Name] = new Index(u.Columns, true, null);
                        foreach (var f in o.ForeignKeys) created.ForeignKeys[f.Name] = new ForeignKey(f.Columns, f.PrincipalTable, f.PrincipalColumns ?? [], f.OnDelete);
                        break;
                    case DropTableOperation o:
                        tables.Remove(o.Name);
                        break;
                    case AddColumnOperation o:
                        tables[o.Table].Columns[o.Name] = ColumnOf(o);
                        break;
                    case AlterColumnOperation o:
                        var altered = tables[o.Table];
                        var now = ColumnOf(o);
                        // SQL Server refuses ALTER COLUMN of a type or nullability under an index, key or foreign key;
                        // without a target model EF does not drop and re-create them around it.
                        if (Indexed(altered, o.Name) && (altered.Columns[o.Name].StoreType != now.StoreType || altered.Columns[o.Name].Nullable != now.Nullable))
                            problems.Add($"{id}: ALTER COLUMN {o.Table}.{o.Name} to {now.StoreType} under an index or key");
                        altered.Columns[o.Name] = now;
                        break;
                    case DropColumnOperation o:
                        tables[o.Table].Columns.Remove(o.Name);
                        break;
                    case RenameColumnOperation o:
                        var renamed = tables[o.Table];
                        renamed.Columns[o.NewName] = renamed.Columns[o.Name];
                        renamed.Columns.Remove(o.Name);
                        break;
                    case CreateIndexOperation o:
                        // The filter as the generator really writes it (EF may add one of its own).
                        tables[o.Table].Indexes[o.Name] = new Index(o.Columns, o.IsUnique, FilterWritten(o));
                        break;
                    case DropIndexOperation o:
                        Assert.True(tables[o.Table!].Indexes.Remove(o.Name), $"{id}: drops a missing index {o.Name}");
                        break;
                    case RenameIndexOperation o:
                        var t = tables[o.Table!];
                        t.Indexes[o.NewName] = t.Indexes[o.Name];
                        t.Indexes.Remove(o.Name);
                        break;
                    case AddForeignKeyOperation o:
                        tables[o.Table].ForeignKeys[o.Name] = new ForeignKey(o.Columns, o.PrincipalTable, o.PrincipalColumns ?? [], o.OnDelete);
                        break;
                    case DropForeignKeyOperation o:
                        tables[o.Table].ForeignKeys.Remove(o.Name);
                        break;
                    case AddUniqueConstraintOperation o:
                        tables[o.Table].Indexes[o.Name] = new Index(o.Columns, true, null);
                        break;
                    case SqlOperation:
                        break; // data only; its SQL Server form is checked by the script test and the live tests
                    default:
                        problems.Add($"{id}: {op.GetType().Name} is not played here; teach SqlServerCatalogue it");
                        break;
                }
            }
        }
        Assert.Empty(problems);
        return Describe(tables);
    }

    private static string DefaultOf(object? value, string? sql) =>
        sql ?? (value is null or DBNull ? "" : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "");

    private static List<string> Describe(Dictionary<string, Table> tables)
    {
        var lines = new List<string>();
        foreach (var (name, t) in tables)
        {
            lines.Add($"table {name}");
            foreach (var (c, col) in t.Columns)
                lines.Add($"column {name}.{c} {col.StoreType} {(col.Nullable ? "null" : "not null")} default '{col.Default}'");
            lines.Add($"pk {name} {t.PrimaryKeyName} ({string.Join(", ", t.PrimaryKey)})");
            foreach (var (i, ix) in t.Indexes)
                lines.Add($"index {name}.{i} ({string.Join(", ", ix.Columns)}){(ix.Unique ? " unique" : "")}{(ix.Filter is null ? "" : $" where {ix.Filter}")}");
            foreach (var (f, fk) in t.ForeignKeys)
                lines.Add($"fk {name}.{f} ({string.Join(", ", fk.Columns)}) -> {fk.PrincipalTable} ({string.Join(", ", fk.PrincipalColumns)}) on delete {fk.OnDelete}");
        }
        return [.. lines.Order(StringComparer.Ordinal)];
    }
}
