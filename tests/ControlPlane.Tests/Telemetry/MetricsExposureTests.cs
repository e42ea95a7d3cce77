using System.Net;
using System.Net.Sockets;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ControlPlane.Tests.Telemetry;

/// <summary>Where /metrics answers: nowhere by default, behind a token, or on a management port of its own.</summary>
[Collection(nameof(TelemetryRunsAlone))]
public sealed class MetricsExposureTests
{
    [Fact]
    public async Task With_nothing_configured_there_is_no_metrics_endpoint_and_nothing_listens()
    {
        await using var database = TestDatabase.CreateSqlite();
        await using var app = new AppFactory(database);
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var response = await client.GetAsync("/metrics");

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("controlplane_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(app.Services.GetService<MeterProvider>());
        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task On_a_management_port_metrics_answer_there_only_and_that_port_serves_nothing_else()
    {
        var port = FreePort();
        await using var database = TestDatabase.CreateSqlite();
        await using var app = new AppFactory(database, settings: new Dictionary<string, string?>
        {
            ["Metrics:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The app's own endpoint, as ASPNETCORE_URLS would give it; the management one is added beside it.
            ["urls"] = "http://127.0.0.1:0",
        });
        app.UseKestrel();
        app.StartServer();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        var management = Assert.Single(addresses, a => a.Port == port);
        Assert.Equal("127.0.0.1", management.Host);
        var main = Assert.Single(addresses, a => a.Port != port);
        using var client = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(management, "/metrics"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri(management, "/health"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri(management, "/v1/models"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri(main, "/metrics"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(main, "/health"))).StatusCode);
    }

    [Theory]
    [InlineData("Metrics:Token", "short", "Metrics:Token must be at least 16 characters")]
    [InlineData("Metrics:Port", "70000", "Metrics:Port must be a TCP port")]
    [InlineData("Otel:Endpoint", "collector:4317", "Otel:Endpoint must be an absolute http(s) URL")]
    public async Task A_bad_telemetry_setting_stops_the_app_at_start_naming_it(string setting, string value, string message)
    {
        await using var database = TestDatabase.CreateSqlite();
        await using var app = new AppFactory(database, settings: new Dictionary<string, string?> { [setting] = value });

        var failure = Assert.ThrowsAny<Exception>(() => app.Server);

        Assert.Contains(message, failure.ToString(), StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
