using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Gateway.Clients;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using Xunit.Abstractions;

namespace ControlPlane.Tests.Telemetry;

/// <summary>/metrics scraped around real calls of the official OpenAI client: the counters move by exactly those calls.</summary>
[Collection(nameof(TelemetryRunsAlone))]
public sealed class MetricsTests : IClassFixture<ObservedGatewayApp>
{
    private readonly ObservedGatewayApp gateway;
    private readonly ITestOutputHelper output;

    public MetricsTests(ObservedGatewayApp gateway, ITestOutputHelper output)
    {
        this.gateway = gateway;
        this.output = output;
        gateway.Upstream.Reset();
    }

    private static readonly double[] DurationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 300, double.PositiveInfinity];
    private static readonly double[] FirstTokenBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, double.PositiveInfinity];

    [Fact]
    public async Task Calls_tokens_cost_and_timings_move_by_exactly_the_calls_made()
    {
        gateway.Upstream.Enqueue(
            new FakeReply { Text = "first", Usage = new(1000, 200, 50) },
            new FakeReply { Text = "second", Usage = new(300, 0, 20) },
            new FakeReply { Text = "a streamed third", Chunks = 3, Usage = new(40, 0, 7) });
        var before = await gateway.ScrapeAsync();

        var ids = new RequestIds();
        var chat = gateway.OpenAI(ids).GetChatClient(gateway.Alias);
        await chat.CompleteChatAsync([new UserChatMessage("metrics one")]);
        await chat.CompleteChatAsync([new UserChatMessage("metrics two")]);
        await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage("metrics three")]))
        {
        }
        Assert.Equal(3, ids.All.Count);
        foreach (var id in ids.All) await gateway.CallAsync(id); // a row is written after its call was recorded in the metrics
        var after = await gateway.ScrapeAsync();

        (string, string)[] call = [("model", gateway.Alias), ("provider", "fake-openai"), ("team", "Platform")];
        double Delta(string name, params (string, string)[] more) => after.Sum(name, [.. call, .. more]) - before.Sum(name, [.. call, .. more]);
        Assert.Equal(3, Delta("controlplane_gateway_calls_total", ("status", "200")));
        Assert.Equal(3, Delta("controlplane_gateway_calls_total"));
        Assert.Equal(1340, Delta("controlplane_gateway_tokens_total", ("type", "input")));
        Assert.Equal(200, Delta("controlplane_gateway_tokens_total", ("type", "cached_input")));
        Assert.Equal(77, Delta("controlplane_gateway_tokens_total", ("type", "output")));
        var cost = GatewayApp.ExpectedCost(1000, 200, 50) + GatewayApp.ExpectedCost(300, 0, 20) + GatewayApp.ExpectedCost(40, 0, 7);
        Assert.Equal((double)cost, Delta("controlplane_gateway_cost_usd_total"), 1e-9); // a counter is a double

        (string, string)[] timing = [("model", gateway.Alias), ("provider", "fake-openai")];
        Assert.Equal(3, after.Sum("controlplane_gateway_duration_seconds_count", timing) - before.Sum("controlplane_gateway_duration_seconds_count", timing));
        Assert.Equal(3, after.Sum("controlplane_gateway_time_to_first_token_seconds_count", timing) - before.Sum("controlplane_gateway_time_to_first_token_seconds_count", timing));
        Assert.True(after.Sum("controlplane_gateway_duration_seconds_sum", timing) > before.Sum("controlplane_gateway_duration_seconds_sum", timing));
        AssertBuckets(after, "controlplane_gateway_duration_seconds", timing, DurationBuckets);
        AssertBuckets(after, "controlplane_gateway_time_to_first_token_seconds", timing, FirstTokenBuckets);
    }

    /// <summary>The histogram has exactly the advertised buckets, cumulative, the last (+Inf) equal to its count.</summary>
    private static void AssertBuckets(Scrape scrape, string histogram, (string, string)[] labels, double[] expected)
    {
        var buckets = scrape.Of(histogram + "_bucket", labels)
            .Select(s => (Le: s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], System.Globalization.CultureInfo.InvariantCulture), s.Value))
            .OrderBy(b => b.Le).ToList();
        Assert.Equal(expected, buckets.Select(b => b.Le));
        for (var i = 1; i < buckets.Count; i++) Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{histogram} buckets are not cumulative");
        Assert.Equal(scrape.Sum(histogram + "_count", labels), buckets[^1].Value);
    }

    [Fact]
    public async Task Retries_failovers_and_errors_are_counted_per_provider()
    {
        gateway.Upstream.Always(FakeReply.Error(500, "the primary is broken"), FakeProvider.AzureOpenAI);
        var before = await gateway.ScrapeAsync();
        using var client = gateway.Client(gateway.Key);

        var servedId = await PostAsync(client, gateway.FailoverAlias, HttpStatusCode.OK);
        var brokenId = await PostAsync(client, gateway.BrokenAlias, null);
        var served = await gateway.CallAsync(servedId);
        var broken = await gateway.CallAsync(brokenId);
        var after = await gateway.ScrapeAsync();
        double Delta(string name, params (string, string)[] labels) => after.Sum(name, labels) - before.Sum(name, labels);

        Assert.Equal(gateway.Backup, served.ProviderName);
        Assert.Equal((gateway.Primary, "upstream_error"), (broken.ProviderName, broken.ErrorClass));
        // The primary retries once per call (MaxRetries 1): once before the failover, once before giving up.
        Assert.Equal(2, Delta("controlplane_gateway_retries_total", ("provider", gateway.Primary)));
        Assert.Equal(1, Delta("controlplane_gateway_failovers_total", ("provider", gateway.Primary), ("error_class", "upstream_error")));
        Assert.Equal(0, Delta("controlplane_gateway_failovers_total", ("provider", gateway.Backup)));
        Assert.Equal(1, Delta("controlplane_gateway_errors_total", ("provider", gateway.Primary), ("error_class", "upstream_error")));
        Assert.Equal(1, Delta("controlplane_gateway_calls_total", ("model", gateway.FailoverAlias), ("provider", gateway.Backup), ("status", "200")));
        Assert.Equal(1, Delta("controlplane_gateway_calls_total", ("model", gateway.BrokenAlias), ("provider", gateway.Primary), ("status", broken.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        // Four failed attempts, below the breaker's minimum of ten, leave the primary's circuit closed; both providers have a circuit series.
        Assert.Equal(0, after.Sum("controlplane_provider_circuit_state", ("provider", gateway.Primary)));
        Assert.Single(after.Of("controlplane_provider_circuit_state", ("provider", gateway.Backup)));
    }

    [Fact]
    public async Task A_model_name_the_catalogue_does_not_know_is_labelled_other()
    {
        var before = await gateway.ScrapeAsync();
        using var client = gateway.Client(gateway.Key);
        var id = await PostAsync(client, "no-such-model-" + Guid.NewGuid().ToString("N"), HttpStatusCode.NotFound);
        await gateway.CallAsync(id);
        var after = await gateway.ScrapeAsync();

        Assert.DoesNotContain("no-such-model-", after.Text, StringComparison.Ordinal);
        Assert.True(after.Sum("controlplane_gateway_calls_total", ("model", "other"), ("status", "404"))
            >= before.Sum("controlplane_gateway_calls_total", ("model", "other"), ("status", "404")) + 1);
    }

    [Fact]
    public async Task Gauges_show_providers_wallets_leases_the_call_log_and_jobs()
    {
        using var client = gateway.Client(gateway.Key);
        await PostAsync(client, gateway.Alias, HttpStatusCode.OK); // takes a lease on the key's wallets
        var backup = gateway.App.Services.GetRequiredService<GatewayCatalog>().Current.Models[gateway.FailoverAlias].Targets
            .Single(t => t.Provider.Name == gateway.Backup).Provider;
        var now = DateTime.UtcNow;
        gateway.App.Services.GetRequiredService<ProviderHealthBoard>().Apply(new ProviderHealthChanged(backup.Id, backup.Name, ProviderHealthStates.Degraded, now, now, null));

        var scrape = await gateway.ScrapeAsync();

        Assert.Equal(1, scrape.Sum("controlplane_provider_health", ("provider", gateway.Backup)));
        var wallets = scrape.Of("controlplane_wallet_utilisation").ToList();
        Assert.NotEmpty(wallets);
        Assert.All(wallets, w => Assert.True(w.Labels.ContainsKey("wallet") && w.Labels.ContainsKey("wallet_id") && w.Labels.ContainsKey("owner")));
        Assert.All(wallets, w => Assert.True(w.Value >= 0));
        foreach (var name in new[] { "controlplane_wallet_leases", "controlplane_wallet_lease_available_usd", "controlplane_wallet_lease_held_usd",
                     "controlplane_wallet_holds", "controlplane_wallet_lease_grants_total", "controlplane_calllog_queue_depth",
                     "controlplane_calllog_writer_lag_seconds", "controlplane_calllog_writer_up" })
            Assert.Contains(name, scrape.Names);
        // Every registered job has its failure series from the start.
        Assert.Single(scrape.Of("controlplane_jobs_failures_total", ("job", "wallets.period-reset")));
        Assert.Single(scrape.Of("controlplane_jobs_failures_total", ("job", ProviderHealthPoller.JobId)));
    }

    [Fact]
    public async Task Metrics_answer_only_to_the_token()
    {
        using var client = new HttpClient { BaseAddress = gateway.BaseUrl };

        var none = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, "not-the-token-0123456789")).StatusCode);
        // A virtual API key opens the gateway, not the metrics.
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, gateway.Key)).StatusCode);

        var ok = await GetAsync(client, TelemetryGatewayApp.Token);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("text/plain", ok.Content.Headers.ContentType!.MediaType);
        Assert.Contains("# TYPE controlplane_gateway_calls_total counter", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recording_a_calls_metrics_allocates_nothing()
    {
        var metrics = gateway.App.Services.GetRequiredService<GatewayMetrics>();
        var platform = (await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<Features.Teams.TeamDirectory>().FindByNameAsync("Platform")))!.Id;
        var http = new DefaultHttpContext();
        http.Request.Path = "/v1/chat/completions";
        var call = new GatewayCall(http, DateTime.UtcNow);
        var r = call.Record;
        (r.ModelRequested, r.ProviderName, r.TeamId, r.Status) = (gateway.Alias, "fake-openai", platform, 200);
        (r.InputTokens, r.CachedInputTokens, r.OutputTokens, r.Cost, r.LatencyMs, r.TimeToFirstTokenMs) = (1200, 200, 300, 0.0061m, 840, 120);
        var before = await gateway.ScrapeAsync();

        for (var i = 0; i < 1_000; i++) metrics.Record(call); // every series exists, every buffer is sized
        const int Calls = 20_000;
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++) metrics.Record(call);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        process.Refresh();
        cpu = process.TotalProcessorTime - cpu;

        // CPU time is the process's (this loop runs alone in it); wall time depends on how loaded the machine is.
        output.WriteLine($"GatewayMetrics.Record with OpenTelemetry listening: {cpu.TotalNanoseconds / Calls:F0} ns CPU ({wall.TotalNanoseconds / Calls:F0} ns wall), {(double)allocated / Calls:F2} bytes per call");
        Assert.Equal(0, allocated);
        var after = await gateway.ScrapeAsync();
        Assert.Equal(Calls + 1_000, after.Sum("controlplane_gateway_calls_total", ("model", gateway.Alias), ("provider", "fake-openai"), ("team", "Platform"), ("status", "200"))
            - before.Sum("controlplane_gateway_calls_total", ("model", gateway.Alias), ("provider", "fake-openai"), ("team", "Platform"), ("status", "200")));
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    /// <summary>One chat call; returns its request id.</summary>
    private static async Task<string> PostAsync(HttpClient client, string model, HttpStatusCode? expected)
    {
        var body = $$"""{"model":"{{model}}","messages":[{"role":"user","content":"metrics"}]}""";
        var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        if (expected is { } status) Assert.Equal(status, response.StatusCode);
        return response.Headers.GetValues("X-Request-Id").Single();
    }
}
