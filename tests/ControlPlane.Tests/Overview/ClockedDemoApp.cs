using ControlPlane.Features.Demo;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Overview;

/// <summary>
/// The real app on a SQLite file whose clock stands still at <see cref="Now"/> (a Sunday afternoon, mid-month), with
/// the demo data seeded at that moment: queries that read "today" give the same answer on any date the tests run.
/// </summary>
public class ClockedDemoApp : IAsyncLifetime
{
    public static readonly DateTime Now = new(2026, 11, 15, 13, 0, 0, DateTimeKind.Utc);
    public static readonly Actor Admin = new(null, "test-admin", Roles.Admin);

    private TestDatabase _database = default!;
    private AppFactory _factory = default!;

    public WebApplicationFactory<Program> App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        _database = TestDatabase.CreateSqlite();
        _factory = new AppFactory(_database, seedDemoData: false);
        App = _factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<TimeProvider>(new StoppedClock(Now))));
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DemoData>().SeedIfEmptyAsync();
        await SeedAsync();
    }

    /// <summary>What a test class adds to the demo, once for all its tests.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public ControlPlaneDb OpenDb() => App.Services.GetRequiredService<IDbContextFactory<ControlPlaneDb>>().CreateDbContext();

    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> use)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await use(scope.ServiceProvider);
    }

    /// <summary>A demo person as the page would see them signed in.</summary>
    public async Task<Actor> ActorAsync(string email)
    {
        await using var db = OpenDb();
        var user = await db.Set<User>().AsNoTracking().SingleAsync(u => u.Email == email);
        return new Actor(user.Id, user.Email, user.Role);
    }

    public Task<Guid> TeamAsync(string name, Guid? parent = null) => WithScopeAsync(async sp =>
    {
        var team = await sp.GetRequiredService<TeamDirectory>().CreateAsync(Admin, name, parent);
        Assert.True(team.Succeeded, team.Error);
        return team.Value!.Id;
    });

    /// <summary>A succeeded call of the team at that moment with that cost, written as the call log writer would.</summary>
    public async Task CallAsync(Guid teamId, DateTime at, decimal cost)
    {
        await using var db = OpenDb();
        db.Calls.Add(new CallRecord
        {
            Id = Guid.CreateVersion7(new DateTimeOffset(at, TimeSpan.Zero)), At = at, TeamId = teamId, Endpoint = "chat", ModelRequested = "gpt-4o-mini",
            Status = 200, InputTokens = 100, OutputTokens = 10, Cost = cost, UsageSource = UsageSource.Provider, LatencyMs = 100,
        });
        await db.SaveChangesAsync();
        // Written as a fixture, not through the batch writer: its day's rollups are summed again, as a seed would.
        await App.Services.GetRequiredService<CallRollups>().RebuildAsync(at, at.AddTicks(1));
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await _factory.DisposeAsync();
        await _database.DisposeAsync();
    }

    private sealed class StoppedClock(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now, TimeSpan.Zero);
    }
}
