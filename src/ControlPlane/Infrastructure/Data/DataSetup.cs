using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Data;

public static class DataSetup
{
    /// <summary>Registers the DbContext factory on the provider named in configuration.</summary>
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var contentRoot = builder.Environment.ContentRootPath;
        // A factory, not a scoped context: Blazor circuits live long and the gateway works off-request.
        builder.Services.AddDbContextFactory<ControlPlaneDb>((services, db) =>
        {
            var options = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            Configure(db, options, contentRoot);
        });
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: ["ready"]);
        return builder;
    }

    internal static void Configure(DbContextOptionsBuilder db, DatabaseOptions options, string contentRoot)
    {
        switch (options.Provider)
        {
            case DatabaseProvider.Postgres:
                db.UseNpgsql(options.ConnectionString);
                break;
            case DatabaseProvider.SqlServer:
                // No retrying execution strategy, as on the other providers: the app opens explicit transactions
                // outside CreateExecutionStrategy() in places, which a retrying strategy refuses.
                db.UseSqlServer(options.ConnectionString).ReplaceService<IMigrationsSqlGenerator, SqlServerMigrations>();
                break;
            default:
                db.UseSqlite(SqliteConnectionString(options.ConnectionString, contentRoot));
                break;
        }

        // Migrations are one provider-neutral history written by hand, so there is no model snapshot to compare
        // with; SchemaTests (and the offline SQL Server tests) prove instead that the migrated schema equals the model.
        db.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }

    /// <summary>Anchors a relative SQLite file under the content root and makes sure its folder exists.</summary>
    internal static string SqliteConnectionString(string connectionString, string contentRoot)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is { Length: > 0 } file && file != ":memory:" && csb.Mode != SqliteOpenMode.Memory)
        {
            var path = Path.GetFullPath(file, contentRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            csb.DataSource = path;
        }
        return csb.ToString();
    }
}
