using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>One running app on a fresh, seeded database, shared by the tests of a class.</summary>
public abstract class AppFixture(DatabaseProvider provider) : IAsyncLifetime
{
    public AppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        App = new AppFactory(await TestDatabase.CreateAsync(provider));
        _ = App.Server; // start now: migrations and demo data run at start-up
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await App.Database.DisposeAsync();
    }
}

public sealed class SqliteApp() : AppFixture(DatabaseProvider.Sqlite);

public sealed class PostgresApp() : AppFixture(DatabaseProvider.Postgres);
