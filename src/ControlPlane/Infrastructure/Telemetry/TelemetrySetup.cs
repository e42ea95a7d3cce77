using System.Net;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ControlPlane.Infrastructure.Telemetry;

/// <summary>
/// Metrics and traces on OpenTelemetry's SDK over the runtime's own <c>System.Diagnostics.Metrics</c> instruments and
/// <c>ActivitySource</c>s: the product code records to those, and this set-up decides who listens. <c>/metrics</c>
/// (Prometheus text) exists only when <c>Metrics:Token</c> or <c>Metrics:Port</c> is set; OTLP export of traces and
/// metrics only when <c>Otel:Endpoint</c> is. With neither, nothing listens and every instrument is a no-op.
/// </summary>
public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<OtelOptions>().BindConfiguration(OtelOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<TeamLabels>();
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<ProviderMetrics>();
        builder.Services.AddSingleton<WalletMetrics>();

        var metrics = builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        var otel = builder.Configuration.GetSection(OtelOptions.Section).Get<OtelOptions>() ?? new OtelOptions();
        if (!metrics.Enabled && !otel.Enabled) return builder;

        builder.Services.AddHostedService<TeamLabelsRefresher>();
        builder.Services.AddHostedService<ObservedInstruments>();
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService(otel.ServiceName));
        telemetry.WithMetrics(m =>
        {
            // System.Runtime: the runtime's own GC, memory, CPU and thread-pool instruments (.NET 9+), read at scrape time.
            m.AddMeter(GatewayMetrics.MeterName, WalletMetrics.MeterName, JobMetrics.MeterName, "System.Runtime");
            // A scrape always collects afresh: the endpoint is behind a token or a private port, so no scrape storm.
            if (metrics.Enabled) m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            if (otel.Enabled) m.AddOtlpExporter(o => Export(o, otel, "v1/metrics"));
        });
        if (otel.Enabled)
        {
            telemetry.WithTracing(t => t
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(otel.SampleRatio)))
                .AddSource(GatewayTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => Traced(http.Request.Path))
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(o => Export(o, otel, "v1/traces")));
        }
        // A bad port or address is left to the options validation, which stops the app naming the setting.
        if (metrics.Port is { } port and > 0 and <= 65535 && IPAddress.TryParse(metrics.Address, out var address))
            AddManagementPort(builder, address, port);
        return builder;
    }

    /// <summary>Maps <c>/metrics</c> when metrics are on: outside the sign-in (a scraper has no session), behind <see cref="MetricsGate"/>.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!options.Enabled) return app;
        var gate = new MetricsGate(options);
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch => branch.Use(gate.InvokeAsync), optionsName: null)
            .AllowAnonymous();
        return app;
    }

    /// <summary>Request spans for what people and programs call; not for probes, the scrape, static files or the circuit's socket.</summary>
    private static bool Traced(PathString path) =>
        !(path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/health") || path.StartsWithSegments("/ready")
          || path.StartsWithSegments("/_framework") || path.StartsWithSegments("/_content") || path.StartsWithSegments("/assets")
          || path.StartsWithSegments("/_blazor"));

    private static void Export(OtlpExporterOptions o, OtelOptions otel, string signalPath)
    {
        var http = otel.Protocol == "http/protobuf";
        o.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        if (!Uri.TryCreate(otel.Endpoint!.TrimEnd('/') + "/", UriKind.Absolute, out var endpoint)) return; // the validation names it
        // Set in code, the endpoint is used as given: over HTTP each signal has its own path under the collector's base.
        o.Endpoint = http ? new Uri(endpoint, signalPath) : endpoint;
    }

    /// <summary>
    /// Adds the management endpoint beside the app's own: to <c>Kestrel:Endpoints</c> when those are configured (they
    /// replace the URLs), else to the URLs (ASPNETCORE_URLS, --urls, ASPNETCORE_HTTP_PORTS, or Kestrel's default).
    /// Requests on it other than /metrics get 404, and /metrics answers only on it.
    /// </summary>
    private static void AddManagementPort(WebApplicationBuilder builder, IPAddress address, int port)
    {
        var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        var url = $"http://{host}:{port}";
        if (builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
            builder.Configuration["Kestrel:Endpoints:Metrics:Url"] = url;
        else
            builder.WebHost.UseUrls([.. AppUrls(builder.Configuration), url]);
        builder.Services.AddTransient<IStartupFilter>(_ => new ManagementPortFilter(port));
    }

    private static IEnumerable<string> AppUrls(ConfigurationManager configuration)
    {
        const StringSplitOptions Split = StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries;
        if (configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls) return urls.Split(';', Split);
        var ports = (configuration[WebHostDefaults.HttpPortsKey] ?? "").Split(';', Split).Select(p => $"http://*:{p}")
            .Concat((configuration[WebHostDefaults.HttpsPortsKey] ?? "").Split(';', Split).Select(p => $"https://*:{p}")).ToList();
        return ports.Count > 0 ? ports : ["http://localhost:5000"];
    }

    /// <summary>First in the pipeline: the management port serves /metrics and nothing else.</summary>
    private sealed class ManagementPortFilter(int port) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, inner) =>
            {
                if (http.Connection.LocalPort != port || http.Request.Path.Equals(MetricsPath, StringComparison.OrdinalIgnoreCase)) return inner(http);
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
            next(app);
        };
    }

    /// <summary>Creates the instruments that are read at scrape time (gauges), so they exist from the start rather than from first use.</summary>
    private sealed class ObservedInstruments(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            // Their constructors create the instruments.
            _ = services.GetRequiredService<WalletMetrics>();
            _ = services.GetRequiredService<ProviderMetrics>();
            _ = services.GetRequiredService<GatewayMetrics>();
            _ = services.GetRequiredService<CallLog>();
            _ = services.GetRequiredService<JobMetrics>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
