using System.Net;
using System.Text.Json;
using ControlPlane.Features.CallStats;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Health;

/// <summary>/health keeps its contract (status, checks) and adds the last hour's numbers and the wallets' quota use for machines.</summary>
public abstract class HealthNumbersTests<TApp>(TApp fixture) where TApp : AppFixture
{
    [Fact]
    public async Task Health_gives_the_last_hours_requests_success_rate_latency_percentiles_and_quota_use_without_signing_in()
    {
        var app = fixture.App;
        await using (var db = app.OpenDb())
        {
            var team = await db.Teams.Select(t => t.Id).FirstAsync();
            db.Calls.AddRange(Enumerable.Range(1, 40).Select(i => new CallRecord
            {
                Id = Guid.NewGuid(), At = DateTime.UtcNow.AddMinutes(-5).AddSeconds(i), Endpoint = "chat", TeamId = team, ModelServed = "health-probe",
                ProviderName = "probe", Status = i <= 4 ? 502 : 200, ErrorClass = i <= 4 ? "upstream_error" : null, LatencyMs = i * 25, TimeToFirstTokenMs = i,
                UsageSource = UsageSource.Provider,
            }));
            await db.SaveChangesAsync();
        }
        app.Services.GetRequiredService<HealthNumbers>().Invalidate();
        using var client = app.CreateBrowserClient();

        var response = await client.GetAsync("/health");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Object, body.GetProperty("checks").ValueKind);
        var calls = body.GetProperty("calls");
        var requests = calls.GetProperty("requests").GetInt64();
        var succeeded = calls.GetProperty("succeeded").GetInt64();
        Assert.True(requests >= 40, $"{requests} requests in the last hour");
        Assert.True(requests - succeeded >= 4);
        Assert.Equal(Math.Round((double)succeeded / requests, 4), calls.GetProperty("success_rate").GetDouble(), 4);
        var latency = calls.GetProperty("latency_ms");
        Assert.True(latency.GetProperty("p50").GetDouble() <= latency.GetProperty("p95").GetDouble());
        Assert.True(latency.GetProperty("p95").GetDouble() <= latency.GetProperty("p99").GetDouble());
        Assert.True(calls.GetProperty("ttft_ms").GetProperty("p50").GetDouble() > 0);

        await using var check = app.OpenDb();
        var limited = await check.Wallets.CountAsync(w => w.Limit != null);
        var quota = body.GetProperty("quota");
        Assert.Equal(limited, quota.GetProperty("limited_wallets").GetInt32());
        Assert.True(quota.GetProperty("exhausted").GetInt32() <= limited);
        // No team, key or wallet names: /health answers anyone.
        Assert.DoesNotContain("Platform", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_numbers_are_computed_at_most_every_fifteen_seconds_however_often_health_is_asked()
    {
        var numbers = fixture.App.Services.GetRequiredService<HealthNumbers>();
        numbers.Invalidate();

        var first = await numbers.ReadAsync();
        var second = await numbers.ReadAsync();

        Assert.Same(first, second);
    }
}

public sealed class HealthNumbersTests_on_Sqlite(SqliteApp f) : HealthNumbersTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class HealthNumbersTests_on_Postgres(PostgresApp f) : HealthNumbersTests<PostgresApp>(f), IClassFixture<PostgresApp>;
