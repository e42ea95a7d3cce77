using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ControlPlane.Tests.Telemetry;

/// <summary>
/// A stand-in OTLP collector (OTLP/HTTP, protobuf) on 127.0.0.1: records what the app exports to it. The protobuf is
/// not decoded; ids and names are found as the bytes they are.
/// </summary>
public sealed class FakeCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> _received = new();

    private FakeCollector(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<(string Path, string? ContentType, byte[] Body)> Received => [.. _received];

    public static FakeCollector Start()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var collector = new FakeCollector(app);
        app.Run(async http =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            collector._received.Enqueue((http.Request.Path.Value!, http.Request.ContentType, body.ToArray()));
            http.Response.ContentType = "application/x-protobuf";
        });
        app.StartAsync().GetAwaiter().GetResult();
        collector.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return collector;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The gateway with Otel:Endpoint set, exporting over OTLP/HTTP to <see cref="Collector"/>.</summary>
public sealed class ExportingGatewayApp() : TelemetryGatewayApp("otlp")
{
    public FakeCollector Collector { get; private set; } = default!;

    protected override void AddMoreSettings(IDictionary<string, string?> settings)
    {
        Collector = FakeCollector.Start();
        settings["Otel:Endpoint"] = Collector.BaseUrl;
        settings["Otel:Protocol"] = "http/protobuf";
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Collector is not null) await Collector.DisposeAsync();
    }
}

[Collection(nameof(TelemetryRunsAlone))]
public sealed class OtlpExportTests(ExportingGatewayApp gateway) : IClassFixture<ExportingGatewayApp>
{
    [Fact]
    public async Task With_an_endpoint_the_calls_span_and_the_metrics_reach_the_collector()
    {
        var traceId = ActivityTraceId.CreateRandom();
        using var client = gateway.ForeignClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{gateway.Alias}}","messages":[{"role":"user","content":"export me"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode);
        await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());

        // The spans end a moment after the answer went out (the request's span last): flush until they are there.
        var id = Convert.FromHexString(traceId.ToHexString());
        bool Ours((string Path, string? ContentType, byte[] Body) r) => r.Path == "/v1/traces" && r.Body.AsSpan().IndexOf(id) >= 0;
        bool GatewaySpan((string Path, string? ContentType, byte[] Body) r) => Ours(r) && Contains(r.Body, Features.Gateway.GatewayTracing.SourceName) && Contains(r.Body, $"chat {gateway.Alias}");
        bool Metrics((string Path, string? ContentType, byte[] Body) r) => r.Path == "/v1/metrics" && Contains(r.Body, "controlplane.gateway.calls") && Contains(r.Body, gateway.Alias);
        for (var i = 0; i < 100 && !(gateway.Collector.Received.Any(GatewaySpan) && gateway.Collector.Received.Any(Metrics)); i++)
        {
            Assert.True(gateway.App.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
            // The pull reader (Prometheus) cannot flush, so this says false; the OTLP reader exports all the same.
            gateway.App.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000);
            await Task.Delay(100);
        }

        var traces = gateway.Collector.Received.Where(r => r.Path == "/v1/traces").ToList();
        Assert.All(traces, t => Assert.Equal("application/x-protobuf", t.ContentType));
        // The gateway's span (its source and name) in the caller's trace, and the metrics with this call's alias.
        Assert.True(traces.Any(GatewaySpan), $"{traces.Count} trace exports; with the trace id: {traces.Count(Ours)}; naming the gateway source: {traces.Count(t => Contains(t.Body, Features.Gateway.GatewayTracing.SourceName))}; naming the span: {traces.Count(t => Contains(t.Body, $"chat {gateway.Alias}"))}; bodies with 'gateway chat': {traces.Count(t => Contains(t.Body, "gateway chat"))}");
        Assert.Contains(gateway.Collector.Received, Metrics);
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
