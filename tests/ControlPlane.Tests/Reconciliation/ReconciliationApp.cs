using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Notifications;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Reconciliation;

/// <summary>The real app on a fresh database, its alerts recorded; drift passes at 0.50 USD and 2 %.</summary>
public abstract class ReconciliationApp(DatabaseProvider provider) : IAsyncLifetime
{
    public static readonly DateOnly Day = new(2026, 11, 15);
    public RecordingAlerts Alerts { get; } = new();
    public AppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        App = new AppFactory(await TestDatabase.CreateAsync(provider), settings: new Dictionary<string, string?>
        {
            ["Reconciliation:DriftAbsolute"] = "0.50",
            ["Reconciliation:DriftPercent"] = "2",
            ["Gateway:AllowedProviderAddresses:0"] = "127.0.0.1", // the fake admin APIs
        })
        {
            TestServices = s => s.AddSingleton<IAlerts>(Alerts),
        };
        _ = App.Server;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await App.Database.DisposeAsync();
    }

    /// <summary>
    /// A new provider (its own name, so tests never see each other's calls) with prices for gpt-4o, gpt-4o-mini, o3 and
    /// gpt-4.1, and on <see cref="Day"/> our calls: 40 of gpt-4o (12.50 USD), 25 of gpt-4o-mini (3.00 USD), 10 of o3
    /// (4.00 USD), summed into the day's rollups.
    /// </summary>
    public async Task<string> ProviderWithCallsAsync(DateOnly? day = null)
    {
        var name = $"bill-{Guid.NewGuid():N}"[..16];
        var at = (day ?? Day).ToDateTime(new TimeOnly(9, 0), DateTimeKind.Utc);
        await using (var db = App.OpenDb())
        {
            var provider = new Provider { Id = Guid.CreateVersion7(), Name = name, Kind = ProviderKinds.OpenAI, BaseUrl = "http://127.0.0.1:9/v1", CreatedAt = at, UpdatedAt = at };
            db.Providers.Add(provider);
            foreach (var model in new[] { "gpt-4o", "gpt-4o-mini", "o3", "gpt-4.1" })
                db.Prices.Add(new Price { Id = Guid.CreateVersion7(), ProviderId = provider.Id, UpstreamModel = model, EffectiveFrom = at.AddDays(-30), InputPerMillion = 1m, CachedInputPerMillion = 1m, OutputPerMillion = 2m, CreatedAt = at, CreatedBy = "test" });
            AddCalls(db, name, "gpt-4o", 40, 2500, 500, 0.3125m, at);
            AddCalls(db, name, "gpt-4o-mini", 25, 12000, 2000, 0.12m, at);
            AddCalls(db, name, "o3", 10, 2000, 800, 0.40m, at);
            await db.SaveChangesAsync();
        }
        await App.Services.GetRequiredService<CallRollups>().RebuildAsync(at.Date, at.Date.AddDays(1));
        return name;
    }

    private static void AddCalls(ControlPlaneDb db, string provider, string model, int count, long input, long output, decimal cost, DateTime at)
    {
        for (var i = 0; i < count; i++)
            db.Calls.Add(new CallRecord
            {
                Id = Guid.CreateVersion7(), At = at.AddSeconds(i), Endpoint = "chat", ModelRequested = model, ModelServed = model, ProviderName = provider,
                Status = 200, InputTokens = input, OutputTokens = output, Cost = cost, LatencyMs = 100,
            });
    }
}

public sealed class SqliteReconciliationApp() : ReconciliationApp(DatabaseProvider.Sqlite);

public sealed class PostgresReconciliationApp() : ReconciliationApp(DatabaseProvider.Postgres);
