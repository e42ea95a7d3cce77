using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>
/// A fresh, empty database for one test class: a SQLite file in a temp folder, or a new database on the real
/// PostgreSQL server named by CONTROLPLANE_TEST_POSTGRES (scripts/with-postgres.sh starts one and sets it).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "CONTROLPLANE_TEST_POSTGRES";

    private readonly string? _sqliteFolder;
    private readonly string? _postgresAdmin;
    private readonly string? _postgresName;

    private TestDatabase(DatabaseProvider provider, string connectionString, string? sqliteFolder, string? postgresAdmin, string? postgresName)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _sqliteFolder = sqliteFolder;
        _postgresAdmin = postgresAdmin;
        _postgresName = postgresName;
    }

    public DatabaseProvider Provider { get; }
    public string ConnectionString { get; }

    /// <summary>Options for a DbContext on this database, configured exactly as the app configures its own.</summary>
    public DbContextOptions<ControlPlaneDb> ContextOptions()
    {
        var options = new DbContextOptionsBuilder<ControlPlaneDb>();
        DataSetup.Configure(options, new DatabaseOptions { Provider = Provider, ConnectionString = ConnectionString }, Path.GetTempPath());
        return options.Options;
    }

    public static Task<TestDatabase> CreateAsync(DatabaseProvider provider) =>
        provider == DatabaseProvider.Postgres ? CreatePostgresAsync() : Task.FromResult(CreateSqlite());

    public static TestDatabase CreateSqlite()
    {
        var folder = Directory.CreateTempSubdirectory("cp-test-").FullName;
        return new TestDatabase(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(folder, "test.db")};Pooling=False", folder, null, null);
    }

    public static Task<TestDatabase> CreatePostgresAsync()
    {
        var admin = Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrWhiteSpace(admin))
            throw new InvalidOperationException(
                $"{PostgresVariable} is not set. Run the tests through scripts/with-postgres.sh (see README), which starts a throwaway PostgreSQL.");
        return CreatePostgresAsync(admin);
    }

    /// <summary>A new database on the PostgreSQL server that <paramref name="admin"/> connects to.</summary>
    public static async Task<TestDatabase> CreatePostgresAsync(string admin)
    {
        var name = $"cp_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var csb = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new TestDatabase(DatabaseProvider.Postgres, csb.ConnectionString, null, admin, name);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sqliteFolder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_sqliteFolder, recursive: true); } catch (IOException) { /* a file still open on a slow shutdown */ }
        }
        if (_postgresAdmin is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_postgresAdmin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_postgresName} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
