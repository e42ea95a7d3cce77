using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Data;

/// <summary>
/// The migrations are written by hand, so prove they build exactly what the EF model describes: a database built
/// by the migrations and one built straight from the model (EnsureCreated) must have the same catalogue. On SQL Server
/// this needs CONTROLPLANE_TEST_SQLSERVER; SqlServerOfflineTests prove the same offline, in every CI run.
/// </summary>
public abstract class SchemaTests(DatabaseProvider provider)
{
    [DatabaseFact]
    public async Task Migrated_schema_has_exactly_the_tables_columns_keys_and_indexes_of_the_model()
    {
        await using var migratedDb = await TestDatabase.CreateAsync(provider);
        await using var modelDb = await TestDatabase.CreateAsync(provider);

        await using var migrated = Open(migratedDb);
        await migrated.Database.MigrateAsync();
        await using var fromModel = Open(modelDb);
        await fromModel.Database.EnsureCreatedAsync();

        var migratedSchema = await SchemaReader.DescribeAsync(migrated);
        var modelSchema = await SchemaReader.DescribeAsync(fromModel);

        Assert.Equal(modelSchema, migratedSchema);
        // Not vacuous: every table of the model is there.
        var modelTables = migrated.Model.GetEntityTypes().Select(e => $"table {e.GetTableName()}").Order(StringComparer.Ordinal);
        Assert.Equal(modelTables, migratedSchema.Where(l => l.StartsWith("table ", StringComparison.Ordinal)));
        Assert.Empty(await migrated.Database.GetPendingMigrationsAsync());
    }

    private static ControlPlaneDb Open(TestDatabase database) => new(database.ContextOptions());
}

public sealed class SchemaTests_on_Sqlite() : SchemaTests(DatabaseProvider.Sqlite);

public sealed class SchemaTests_on_Postgres() : SchemaTests(DatabaseProvider.Postgres);

[RequiresSqlServer]
public sealed class SchemaTests_on_SqlServer() : SchemaTests(DatabaseProvider.SqlServer);
