using ControlPlane.Infrastructure.Data;
using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>
/// A fresh, empty database for one test class: a SQLite file in a temp folder, or a new database on the real
/// PostgreSQL server named by CONTROLPLANE_TEST_POSTGRES (scripts/with-postgres.sh starts one and sets it), or a new
/// database on the real SQL Server named by CONTROLPLANE_TEST_SQLSERVER (none runs on the CI machines: classes on
/// SQL Server are marked [RequiresSqlServer] and skipped without it).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "CONTROLPLANE_TEST_POSTGRES";
    public const string SqlServerVariable = "CONTROLPLANE_TEST_SQLSERVER";

    private readonly string? _sqliteFolder;
    private readonly string? _postgresAdmin;
    private readonly string? _databaseName;
    private string? _sqlServerAdmin;

    private TestDatabase(DatabaseProvider provider, string connectionString, string? sqliteFolder, string? postgresAdmin, string? databaseName)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _sqliteFolder = sqliteFolder;
        _postgresAdmin = postgresAdmin;
        _databaseName = databaseName;
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

    public static Task<TestDatabase> CreateAsync(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Postgres => CreatePostgresAsync(),
        DatabaseProvider.SqlServer => CreateSqlServerAsync(),
        _ => Task.FromResult(CreateSqlite()),
    };

    /// <summary>A new database on the SQL Server that CONTROLPLANE_TEST_SQLSERVER connects to.</summary>
    public static async Task<TestDatabase> CreateSqlServerAsync()
    {
        var admin = Environment.GetEnvironmentVariable(SqlServerVariable);
        if (string.IsNullOrWhiteSpace(admin))
            throw new InvalidOperationException($"{SqlServerVariable} is not set; mark the test class [RequiresSqlServer] so it is skipped without one.");
        var name = $"cp_test_{Guid.NewGuid():N}";
        await using (var connection = new SqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new SqlCommand($"CREATE DATABASE [{name}]", connection);
            await create.ExecuteNonQueryAsync();
        }
        var csb = new SqlConnectionStringBuilder(admin) { InitialCatalog = name };
        return new TestDatabase(DatabaseProvider.SqlServer, csb.ConnectionString, null, null, name) { _sqlServerAdmin = admin };
    }

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
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_databaseName} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        if (_sqlServerAdmin is not null)
        {
            SqlConnection.ClearAllPools();
            await using var connection = new SqlConnection(_sqlServerAdmin);
            await connection.OpenAsync();
            await using var drop = new SqlCommand(
                $"IF DB_ID(N'{_databaseName}') IS NOT NULL BEGIN ALTER DATABASE [{_databaseName}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{_databaseName}]; END",
                connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
