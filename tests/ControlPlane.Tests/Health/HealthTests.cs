using System.Net;
using System.Text.Json;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ControlPlane.Tests.Health;

public abstract class HealthTests<TApp>(TApp fixture) where TApp : AppFixture
{
    [Fact]
    public async Task Health_and_ready_answer_with_json()
    {
        using var client = fixture.App.CreateBrowserClient();

        var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("application/json", health.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Healthy", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());

        var ready = await client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_is_unhealthy_while_migrations_are_pending()
    {
        await using var empty = await TestDatabase.CreateAsync(fixture.App.Database.Provider);
        await using (var db = new ControlPlaneDb(empty.ContextOptions()))
            await db.Database.OpenConnectionAsync(); // reachable (SQLite makes its file now), but not migrated
        var check = new DatabaseReadyCheck(new PooledDbContextFactory<ControlPlaneDb>(empty.ContextOptions()));

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("20261121000000_Initial", result.Description, StringComparison.Ordinal);
    }
}

public sealed class HealthTests_on_Sqlite(SqliteApp f) : HealthTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class HealthTests_on_Postgres(PostgresApp f) : HealthTests<PostgresApp>(f), IClassFixture<PostgresApp>
{
    [Fact]
    public async Task Ready_says_the_database_cannot_be_reached_when_it_is_gone()
    {
        // A port nothing listens on: the database is "briefly gone".
        var options = new DbContextOptionsBuilder<ControlPlaneDb>().UseNpgsql("Host=127.0.0.1;Port=1;Timeout=2;Username=postgres;Database=postgres").Options;
        var check = new DatabaseReadyCheck(new PooledDbContextFactory<ControlPlaneDb>(options));

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("The database cannot be reached.", result.Description);
    }
}
