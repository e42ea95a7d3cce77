using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Upstream = ControlPlane.Tests.Gateway.FakeUpstream.FakeUpstream;

namespace ControlPlane.Tests.Gateway;

/// <summary>
/// The real app on Kestrel at 127.0.0.1, in front of a fake upstream that speaks every provider's wire format. Each
/// provider kind serves its own aliases, each priced, so tests can check cost = usage × price exactly.
/// </summary>
public abstract class GatewayApp(DatabaseProvider provider) : IAsyncLifetime
{
    /// <summary>Prices per million tokens used by every test provider: input, cached input, output.</summary>
    public const decimal InputPrice = 2.50m, CachedPrice = 1.25m, OutputPrice = 10.00m;

    /// <summary>Alias → (provider name, upstream model): one alias per provider kind, plus extras.</summary>
    public static readonly IReadOnlyDictionary<string, (string Provider, string Model)> Aliases = new Dictionary<string, (string, string)>
    {
        ["gpt"] = ("fake-openai", "gpt-4o-mini"),
        ["azure-gpt"] = ("fake-azure", "gpt4o-deployment"),
        ["claude"] = ("fake-anthropic", "claude-sonnet-4-5"),
        ["gemini"] = ("fake-gemini", "gemini-2.5-flash"),
    };

    public Upstream Upstream { get; private set; } = default!;
    public AppFactory App { get; private set; } = default!;
    public Uri BaseUrl { get; private set; } = default!;
    /// <summary>An active key of team Platform.</summary>
    public string Key { get; private set; } = "";

    public async Task InitializeAsync()
    {
        // Without a SQL Server its classes are skipped ([RequiresSqlServer]), but xunit still builds their fixture.
        if (provider == DatabaseProvider.SqlServer && RequiresSqlServerAttribute.SkipReason() is not null) return;
        Upstream = await Upstream.StartAsync();
        var settings = new Dictionary<string, string?>();
        // Provider calls to loopback are refused by default: the fake upstream's own address is allowed, as an
        // operator would allow a local Ollama, and nothing else on this machine is.
        AllowProviderAddress(settings, $"127.0.0.1:{new Uri(Upstream.BaseUrl).Port}");
        Provider("fake-openai", "openai", $"{Upstream.BaseUrl}/v1");
        Provider("fake-azure", "azure-openai", Upstream.BaseUrl, apiVersion: "2024-10-21");
        Provider("fake-anthropic", "anthropic", Upstream.BaseUrl);
        Provider("fake-gemini", "gemini", Upstream.BaseUrl);
        foreach (var (alias, (name, model)) in Aliases) settings[$"Gateway:Providers:{name}:Models:{alias}"] = model;
        // A provider that waits little and never retries: the timeout test's target.
        Provider("fake-slow", "openai", $"{Upstream.BaseUrl}/v1", model: "slow-model");
        settings["Gateway:Providers:fake-slow:Models:slow"] = "slow-model";
        settings["Gateway:Providers:fake-slow:FirstByteTimeoutSeconds"] = "2";
        settings["Gateway:Providers:fake-slow:MaxRetries"] = "0";
        settings["Gateway:Providers:fake-slow:IdleTimeoutSeconds"] = "2";
        // A much cheaper alias, for wallets that downgrade when their money is gone.
        settings["Gateway:Providers:fake-openai:Models:cheap"] = "cheap-model";
        settings["Gateway:Providers:fake-openai:Prices:cheap-model:Input"] = "0.01";
        settings["Gateway:Providers:fake-openai:Prices:cheap-model:CachedInput"] = "0.01";
        settings["Gateway:Providers:fake-openai:Prices:cheap-model:Output"] = "0.01";
        // An alias with no price: refused by default.
        settings["Gateway:Providers:fake-openai:Models:unpriced"] = "some-new-model";
        // Failover: "failover" is served by fake-azure first (configuration order), then fake-openai.
        settings["Gateway:Providers:fake-azure:Models:failover"] = Aliases["azure-gpt"].Model;
        settings["Gateway:Providers:fake-openai:Models:failover"] = Aliases["gpt"].Model;
        // The tests here look up each call's own row by its request id, refused ones too: every refusal is sampled
        // (RefusalFloodTests sets the production defaults to test the counting).
        settings["Gateway:RefusalSamplesPerMinute"] = "1000000";
        settings["Gateway:RefusalRowCapacity"] = "1000000";
        AddSettings(settings);
        Settings = settings;
        App = new AppFactory(await CreateDatabaseAsync(), settings: settings);
        BaseUrl = App.ListenOnLoopback();
        Key = await CreateKeyAsync("Platform");
        return;

        void Provider(string name, string kind, string url, string? apiVersion = null, string? model = null)
        {
            var p = $"Gateway:Providers:{name}";
            settings[$"{p}:Kind"] = kind;
            settings[$"{p}:BaseUrl"] = url;
            settings[$"{p}:ApiKey"] = Upstream.ApiKey;
            settings[$"{p}:ApiVersion"] = apiVersion;
            settings[$"{p}:MaxRetries"] = "2";
            // Generous: hundreds of concurrent calls on a busy 2-core CI machine must not time out.
            settings[$"{p}:FirstByteTimeoutSeconds"] = "30";
            settings[$"{p}:IdleTimeoutSeconds"] = "30";
            model ??= Aliases.Values.First(a => a.Provider == name).Model;
            settings[$"{p}:Prices:{model}:Input"] = InputPrice.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"{p}:Prices:{model}:CachedInput"] = CachedPrice.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"{p}:Prices:{model}:Output"] = OutputPrice.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The database the app runs on: a fresh one on the shared test server, unless a test brings its own.</summary>
    protected virtual Task<TestDatabase> CreateDatabaseAsync() => TestDatabase.CreateAsync(provider);

    /// <summary>A fixture of its own adds aliases or settings here, before the app starts; the shared ones stay as they are.</summary>
    protected virtual void AddSettings(IDictionary<string, string?> settings)
    {
    }

    /// <summary>Adds an entry to Gateway:AllowedProviderAddresses after those already there.</summary>
    public static void AllowProviderAddress(IDictionary<string, string?> settings, string entry)
    {
        var i = 0;
        while (settings.ContainsKey($"Gateway:AllowedProviderAddresses:{i}")) i++;
        settings[$"Gateway:AllowedProviderAddresses:{i}"] = entry;
    }

    /// <summary>The configuration the app was started with (providers, aliases, prices).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; private set; } = new Dictionary<string, string?>();

    /// <summary>A second node of the same deployment: another app on the same database. Dispose it; not the database.</summary>
    public (AppFactory Node, Uri BaseUrl) StartSecondNode()
    {
        var node = new AppFactory(App.Database, settings: Settings);
        return (node, node.ListenOnLoopback());
    }

    public async Task<string> CreateKeyAsync(string teamName, DateTime? expiresAt = null) =>
        await App.WithScopeAsync(async sp =>
        {
            var team = await sp.GetRequiredService<ControlPlane.Features.Teams.TeamDirectory>().FindByNameAsync(teamName)
                ?? throw new InvalidOperationException($"No team {teamName}");
            var created = await sp.GetRequiredService<KeyService>().CreateAsync(Actor.CommandLine, team.Id, $"test-{Guid.NewGuid():N}"[..20], expiresAt);
            return created.Value!.Plaintext;
        });

    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseUrl };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    /// <summary>The call's row, once the batch writer has written it (rows land asynchronously, in order of arrival).</summary>
    public async Task<CallRecord> CallAsync(string requestId)
    {
        var id = Guid.ParseExact(requestId["req_".Length..], "N");
        for (var attempt = 0; attempt < 200; attempt++)
        {
            await using var db = App.OpenDb();
            if (await db.Calls.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id) is { } row) return row;
            await Task.Delay(50);
        }
        throw new TimeoutException($"No call row for {requestId} after 10 s.");
    }

    public static decimal ExpectedCost(long input, long cached, long output) =>
        ((input - cached) * InputPrice + cached * CachedPrice + output * OutputPrice) / 1_000_000m;

    public virtual async Task DisposeAsync()
    {
        if (App is null) return;
        await App.DisposeAsync();
        await App.Database.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}

public sealed class SqliteGatewayApp() : GatewayApp(DatabaseProvider.Sqlite);

public sealed class PostgresGatewayApp() : GatewayApp(DatabaseProvider.Postgres);

public sealed class SqlServerGatewayApp() : GatewayApp(DatabaseProvider.SqlServer);
