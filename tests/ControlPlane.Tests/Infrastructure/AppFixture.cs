using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>One running app on a fresh, seeded database, shared by the tests of a class.</summary>
public abstract class AppFixture(DatabaseProvider provider) : IAsyncLifetime
{
    public AppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        // Without a SQL Server its classes are skipped ([RequiresSqlServer]), but xunit still builds their fixture.
        if (provider == DatabaseProvider.SqlServer && RequiresSqlServerAttribute.SkipReason() is not null) return;
        // 127.0.0.1:1 (a closed port, no provider's) is where the authorization walk's notification channel points.
        App = new AppFactory(await TestDatabase.CreateAsync(provider), settings: new Dictionary<string, string?> { ["Gateway:AllowedProviderAddresses:0"] = "127.0.0.1:1" });
        _ = App.Server; // start now: migrations and demo data run at start-up
    }

    public async Task DisposeAsync()
    {
        if (App is null) return;
        await App.DisposeAsync();
        await App.Database.DisposeAsync();
    }
}

public sealed class SqliteApp() : AppFixture(DatabaseProvider.Sqlite);

public sealed class PostgresApp() : AppFixture(DatabaseProvider.Postgres);

public sealed class SqlServerApp() : AppFixture(DatabaseProvider.SqlServer);
