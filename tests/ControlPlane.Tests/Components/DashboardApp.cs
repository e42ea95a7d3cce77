using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Components;

/// <summary>
/// The real app on a SQLite file with the demo data, for component tests: its services (a scope per test, as a
/// circuit has) stand behind bUnit's, so pages read and write the same database the running product would.
/// </summary>
public class DashboardApp : IAsyncLifetime
{
    private TestDatabase _database = default!;

    public AppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        // Pages add providers at loopback fakes and closed loopback ports; the operator's allow-list says so, as for
        // a local Ollama (every other private or loopback address stays refused).
        var settings = new Dictionary<string, string?>(ExtraSettings) { ["Gateway:AllowedProviderAddresses:0"] = "127.0.0.1" };
        App = new AppFactory(_database, settings: settings);
        _ = App.Services; // builds the host: migrations and demo data run here, not inside the first test
    }

    /// <summary>Settings a page's tests add to the app's configuration (identity providers, mapping rules).</summary>
    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>();

    /// <summary>The demo person with this e-mail (DemoData.People), as the sign-in page would find them.</summary>
    public async Task<User> PersonAsync(string email)
    {
        await using var db = App.OpenDb();
        return await db.Set<User>().AsNoTracking().SingleAsync(u => u.Email == email);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await _database.DisposeAsync();
    }
}
