using System.Diagnostics;
using System.Text;
using ControlPlane.Features.Gateway;

namespace ControlPlane.Tests.Telemetry;

public sealed class QuietGatewayApp() : TelemetryGatewayApp("quiet");

/// <summary>No listener is alive here (the telemetry tests run one class at a time), so this sees the gateway with traces off.</summary>
[Collection(nameof(TelemetryRunsAlone))]
public sealed class TracePropagationTests(QuietGatewayApp gateway) : IClassFixture<QuietGatewayApp>
{
    [Fact]
    public async Task With_traces_off_the_callers_traceparent_still_reaches_the_provider()
    {
        Assert.False(GatewayTracing.On, "Something records the gateway's spans: this test must run with traces off.");
        var traceId = ActivityTraceId.CreateRandom();
        using var client = gateway.ForeignClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{gateway.Alias}}","messages":[{"role":"user","content":"untraced"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        var response = await client.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode);
        var sent = gateway.Upstream.Requests.Single(r => r.Body.Contains("untraced", StringComparison.Ordinal));
        Assert.Equal(traceId.ToHexString(), sent.Header("traceparent")!.Split('-')[1]);
    }
}
