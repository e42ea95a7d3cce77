using System.Text;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Notifications;
using ControlPlane.Tests.Gateway.FakeUpstream;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Gateway;

/// <summary>
/// Provider health against the fake upstream on 127.0.0.1: a provider that stops answering becomes Degraded then Down,
/// is alerted once, is skipped by routing while its fallback is up, and recovers. Stored state on SQLite and PostgreSQL.
/// </summary>
public abstract class ProviderHealthTests<TApp>(TApp gateway) : IAsyncLifetime where TApp : GatewayApp
{
    private readonly RecordingAlerts _recorded = new();
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        gateway.Upstream.Reset();
        await using (var db = gateway.App.OpenDb())
            await db.ProviderHealth.ExecuteDeleteAsync();
        await Board.LoadAsync(gateway.App.Services.GetRequiredService<IDbContextFactory<ControlPlane.Infrastructure.Data.ControlPlaneDb>>(), default);
    }

    public Task DisposeAsync() => InitializeAsync();

    /// <summary>The alerts about the fake providers (the demo's providers name real hosts, which do not resolve here: they go down too).</summary>
    private List<Alert> FakeAlerts => [.. _recorded.Raised.Where(a => a.Subject.Contains(" fake-", StringComparison.Ordinal))];

    private ProviderHealthBoard Board => gateway.App.Services.GetRequiredService<ProviderHealthBoard>();

    /// <summary>One poll, as the scheduler would run it, 30 s after the previous one.</summary>
    private async Task PollAsync()
    {
        _clock.Advance(TimeSpan.FromSeconds(30));
        await using var scope = gateway.App.Services.CreateAsyncScope();
        var poller = ActivatorUtilities.CreateInstance<ProviderHealthPoller>(scope.ServiceProvider, _recorded, (TimeProvider)_clock);
        await poller.RunAsync(default);
    }

    private async Task<ProviderHealthRecord> StoredAsync(string provider)
    {
        await using var db = gateway.App.OpenDb();
        var id = await db.Providers.Where(p => p.Name == provider).Select(p => p.Id).SingleAsync();
        return await db.ProviderHealth.AsNoTracking().SingleAsync(h => h.ProviderId == id);
    }

    [Fact]
    public async Task A_provider_that_stops_answering_goes_down_is_alerted_once_is_skipped_by_routing_and_recovers()
    {
        await PollAsync();
        foreach (var name in new[] { "fake-openai", "fake-azure", "fake-anthropic", "fake-gemini" })
            Assert.Equal(ProviderHealthStates.Healthy, (await StoredAsync(name)).State);
        Assert.Empty(FakeAlerts);

        gateway.Upstream.Always(FakeReply.Error(503, "overloaded"), FakeProvider.AzureOpenAI);
        await PollAsync();
        var degraded = await StoredAsync("fake-azure");
        Assert.Equal(ProviderHealthStates.Degraded, degraded.State); // one failed check is a blip, not an outage
        Assert.Empty(FakeAlerts);

        await PollAsync();
        var down = await StoredAsync("fake-azure");
        Assert.Equal((ProviderHealthStates.Down, 2), (down.State, down.ConsecutiveFailures));
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, down.Since, TimeSpan.FromMilliseconds(1));
        Assert.Contains("HTTP 503", down.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeUpstream.FakeUpstream.ApiKey, down.LastError, StringComparison.Ordinal);
        var alert = Assert.Single(FakeAlerts);
        Assert.Equal((AlertKinds.ProviderFailing, AlertSeverity.Critical, "/providers"), (alert.Kind, alert.Severity, alert.Link));
        Assert.Contains("fake-azure", alert.Subject, StringComparison.Ordinal);
        Assert.Contains(down.ProviderId.ToString(), alert.DedupKey, StringComparison.Ordinal);
        Assert.Equal(ProviderHealthStates.Down, Board.Of(down.ProviderId)!.State);
        Assert.Contains(down.ProviderId, gateway.App.Services.GetRequiredService<GatewayCatalog>().Current.Down);
        Assert.Equal(ProviderHealthStates.Healthy, (await StoredAsync("fake-openai")).State);

        await PollAsync(); // still down: no second alert, and "since" stays
        Assert.Single(FakeAlerts);
        Assert.Equal(down.Since, (await StoredAsync("fake-azure")).Since);

        // "failover" is served by fake-azure first, then fake-openai: the down provider is not even tried.
        var before = gateway.Upstream.Requests.Count(r => r.Provider == FakeProvider.AzureOpenAI && r.Method == "POST");
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"failover","messages":[{"role":"user","content":"Hello"}]}""", Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("fake-openai", row.ProviderName);
        Assert.Contains("skipped fake-azure: down", row.RouteReason, StringComparison.Ordinal);
        Assert.Equal(before, gateway.Upstream.Requests.Count(r => r.Provider == FakeProvider.AzureOpenAI && r.Method == "POST"));

        gateway.Upstream.Reset();
        await PollAsync();
        var recovered = await StoredAsync("fake-azure");
        Assert.Equal((ProviderHealthStates.Healthy, 0), (recovered.State, recovered.ConsecutiveFailures));
        Assert.Equal(2, FakeAlerts.Count);
        Assert.Equal(AlertSeverity.Info, FakeAlerts[1].Severity);
        Assert.Contains("recovered", FakeAlerts[1].Subject, StringComparison.Ordinal);
        Assert.DoesNotContain(recovered.ProviderId, gateway.App.Services.GetRequiredService<GatewayCatalog>().Current.Down);
    }

    [Fact]
    public async Task A_provider_that_answers_its_probe_but_fails_the_gateways_calls_is_degraded()
    {
        var ids = new List<Guid>();
        await using (var db = gateway.App.OpenDb())
        {
            var openai = await db.Providers.SingleAsync(p => p.Name == "fake-openai");
            var at = _clock.GetUtcNow().UtcDateTime;
            for (var i = 0; i < 6; i++)
            {
                var call = new CallRecord
                {
                    Id = Guid.CreateVersion7(), At = at, Endpoint = "chat", ProviderId = openai.Id, ProviderName = openai.Name,
                    Status = 502, ErrorClass = "upstream_error",
                };
                ids.Add(call.Id);
                db.Calls.Add(call);
            }
            await db.SaveChangesAsync();
        }
        try
        {
            await PollAsync();

            var stored = await StoredAsync("fake-openai");
            Assert.Equal((ProviderHealthStates.Degraded, 6, 6), (stored.State, stored.RecentCalls, stored.RecentFailures));
            Assert.Contains("6 of 6 calls", stored.LastError, StringComparison.Ordinal);
            Assert.Empty(FakeAlerts); // degraded is shown, not alerted
        }
        finally
        {
            // The other test reads the same call log in the same minutes.
            await using var db = gateway.App.OpenDb();
            await db.Calls.Where(c => ids.Contains(c.Id)).ExecuteDeleteAsync();
        }
    }
}

public sealed class ProviderHealthTests_on_Sqlite(SqliteGatewayApp g) : ProviderHealthTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class ProviderHealthTests_on_Postgres(PostgresGatewayApp g) : ProviderHealthTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
