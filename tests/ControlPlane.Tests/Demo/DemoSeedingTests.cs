using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Demo;

/// <summary>
/// Demo teams, people and keys never appear in a real deployment's database by default: outside Development the
/// demo is seeded only when Database:SeedDemoData says so explicitly.
/// </summary>
public abstract class DemoSeedingTests(DatabaseProvider provider)
{
    private async Task<int> DemoPeopleAfterStartAsync(string environment, bool? seed)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var app = new AppFactory(database, environment: environment, seedDemoData: seed);
        _ = app.Server; // starts the app: migrations, then the demo if asked for
        await using var db = app.OpenDb();
        return await db.Users.CountAsync(u => u.Email.EndsWith("@acme.test"));
    }

    [DatabaseFact]
    public async Task Production_without_the_setting_gets_no_demo_data() =>
        Assert.Equal(0, await DemoPeopleAfterStartAsync("Production", seed: null));

    [DatabaseFact]
    public async Task Production_gets_the_demo_only_when_asked_for_by_name() =>
        Assert.True(await DemoPeopleAfterStartAsync("Production", seed: true) > 0);

    [DatabaseFact]
    public async Task Development_without_the_setting_gets_the_demo_and_can_turn_it_off()
    {
        Assert.True(await DemoPeopleAfterStartAsync("Development", seed: null) > 0);
        Assert.Equal(0, await DemoPeopleAfterStartAsync("Development", seed: false));
    }
}

public sealed class DemoSeedingTests_on_Sqlite() : DemoSeedingTests(DatabaseProvider.Sqlite);

public sealed class DemoSeedingTests_on_Postgres() : DemoSeedingTests(DatabaseProvider.Postgres);
