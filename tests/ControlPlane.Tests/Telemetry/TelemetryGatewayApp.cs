using System.ClientModel;
using System.ClientModel.Primitives;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Gateway;
using OpenAI;

namespace ControlPlane.Tests.Telemetry;

/// <summary>
/// The gateway with /metrics on (behind <see cref="Token"/>), in front of the fake upstream, with aliases and providers
/// named after <paramref name="prefix"/> that exist in no other test app: every test host in this process records
/// into the same named meters and activity source, so each test reads only what carries names of its own.
/// </summary>
public abstract class TelemetryGatewayApp(string prefix) : GatewayApp(DatabaseProvider.Sqlite)
{
    public const string Token = "scrape-token-of-the-tests-0123456789";

    /// <summary>Served by fake-openai.</summary>
    public string Alias => $"{prefix}-model";
    /// <summary>Served by <see cref="Primary"/> (Azure wire, one retry), then <see cref="Backup"/> (OpenAI wire).</summary>
    public string FailoverAlias => $"{prefix}-failover";
    /// <summary>Served by <see cref="Primary"/> alone.</summary>
    public string BrokenAlias => $"{prefix}-broken";
    public string Primary => $"{prefix}-a";
    public string Backup => $"{prefix}-b";

    protected override void AddSettings(IDictionary<string, string?> settings)
    {
        settings["Metrics:Token"] = Token;
        settings[$"Gateway:Providers:fake-openai:Models:{Alias}"] = Aliases["gpt"].Model;
        // Configuration order is name order: the primary comes first for the failover alias.
        Provider(settings, Primary, "azure-openai", Upstream.BaseUrl, "primary-deployment", retries: 1);
        Provider(settings, Backup, "openai", $"{Upstream.BaseUrl}/v1", Aliases["gpt"].Model, retries: 0);
        settings[$"Gateway:Providers:{Primary}:Models:{FailoverAlias}"] = "primary-deployment";
        settings[$"Gateway:Providers:{Backup}:Models:{FailoverAlias}"] = Aliases["gpt"].Model;
        settings[$"Gateway:Providers:{Primary}:Models:{BrokenAlias}"] = "primary-deployment";
        AddMoreSettings(settings);
    }

    protected virtual void AddMoreSettings(IDictionary<string, string?> settings)
    {
    }

    private static void Provider(IDictionary<string, string?> settings, string name, string kind, string url, string model, int retries)
    {
        var p = $"Gateway:Providers:{name}";
        settings[$"{p}:Kind"] = kind;
        settings[$"{p}:BaseUrl"] = url;
        settings[$"{p}:ApiKey"] = Gateway.FakeUpstream.FakeUpstream.ApiKey;
        if (kind == "azure-openai") settings[$"{p}:ApiVersion"] = "2024-10-21";
        settings[$"{p}:MaxRetries"] = retries.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[$"{p}:FirstByteTimeoutSeconds"] = "30";
        settings[$"{p}:Prices:{model}:Input"] = "2.50";
        settings[$"{p}:Prices:{model}:CachedInput"] = "1.25";
        settings[$"{p}:Prices:{model}:Output"] = "10.00";
    }

    /// <summary>The official OpenAI .NET client on this gateway; <paramref name="ids"/> learns each call's request id.</summary>
    internal OpenAIClient OpenAI(Gateway.Clients.RequestIds ids) => new(new ApiKeyCredential(Key), new OpenAIClientOptions
    {
        Endpoint = new Uri(BaseUrl, "v1"),
        Transport = new HttpClientPipelineTransport(new HttpClient(ids)),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    /// <summary>
    /// A caller that is not this process's .NET: it sends the traceparent a test sets and no other (this process's own
    /// HttpClient would put its own span's in its place whenever something records HttpClient spans).
    /// </summary>
    public HttpClient ForeignClient()
    {
        var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = BaseUrl };
        client.DefaultRequestHeaders.Authorization = new("Bearer", Key);
        return client;
    }

    public async Task<Scrape> ScrapeAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseUrl };
        return await Scrape.TakeAsync(client, Token);
    }
}

public sealed class ObservedGatewayApp() : TelemetryGatewayApp("obs");

public sealed class TracedGatewayApp() : TelemetryGatewayApp("tr");
