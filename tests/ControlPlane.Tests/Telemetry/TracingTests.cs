using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using ControlPlane.Features.Gateway;
using ControlPlane.Tests.Gateway.Clients;
using ControlPlane.Tests.Gateway.FakeUpstream;
using OpenAI.Chat;

namespace ControlPlane.Tests.Telemetry;

/// <summary>
/// The gateway's span per call, recorded by an in-process listener, and the caller's W3C trace carried through to the
/// provider (the fake upstream records the traceparent it was sent).
/// </summary>
[Collection(nameof(TelemetryRunsAlone))]
public sealed class TracingTests : IClassFixture<TracedGatewayApp>, IDisposable
{
    private readonly TracedGatewayApp gateway;
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;

    public TracingTests(TracedGatewayApp gateway)
    {
        this.gateway = gateway;
        gateway.Upstream.Reset();
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GatewayTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task The_callers_trace_goes_on_through_the_gateway_span_to_the_provider()
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = "traced", Usage = new(100, 0, 10) });
        var ids = new RequestIds();
        var chat = gateway.OpenAI(ids).GetChatClient(gateway.Alias);

        // The calling service's own span: its HttpClient (under the OpenAI SDK) sends it as traceparent.
        using (var caller = new Activity("checkout-service").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            await chat.CompleteChatAsync([new UserChatMessage("trace me through")]);
            var requestId = ids.Single();
            await gateway.CallAsync(requestId);

            var sent = gateway.Upstream.Requests.Single(r => r.Body.Contains("trace me through", StringComparison.Ordinal));
            var traceparent = sent.Header("traceparent")!.Split('-');
            Assert.Equal(caller.TraceId.ToHexString(), traceparent[1]);
            // The provider's parent is a span of ours, not the caller's.
            Assert.NotEqual(caller.SpanId.ToHexString(), traceparent[2]);

            var span = await SpanOfAsync(requestId);
            Assert.Equal(caller.TraceId, span.TraceId);
            Assert.Equal($"chat {gateway.Alias}", span.DisplayName);
            Assert.Equal(["route", "provider.attempt", "settled"], span.Events.Select(e => e.Name));
            Assert.Equal(gateway.Alias, span.GetTagItem("gen_ai.request.model"));
            Assert.Equal("gpt-4o-mini", span.GetTagItem("gen_ai.response.model"));
            Assert.Equal("fake-openai", span.GetTagItem("gen_ai.provider.name"));
            Assert.Equal("Platform", span.GetTagItem("controlplane.team"));
            Assert.Equal(100L, span.GetTagItem("gen_ai.usage.input_tokens"));
            Assert.Equal(10L, span.GetTagItem("gen_ai.usage.output_tokens"));
            Assert.Equal(200, span.GetTagItem("http.response.status_code"));
            Assert.Equal((double)Gateway.GatewayApp.ExpectedCost(100, 0, 10), (double)span.GetTagItem("controlplane.cost_usd")!, 1e-12);
            Assert.Equal(ActivityStatusCode.Unset, span.Status);
            var settled = span.Events.Single(e => e.Name == "settled").Tags.ToDictionary(t => t.Key, t => t.Value);
            Assert.Equal(Gateway.GatewayApp.ExpectedCost(100, 0, 10).ToString(System.Globalization.CultureInfo.InvariantCulture), settled["cost_usd"]);
            Assert.Equal("Provider", settled["usage_source"]);
        }
    }

    [Fact]
    public async Task Attempts_and_the_failover_are_events_of_the_span_and_every_attempt_carries_the_trace()
    {
        gateway.Upstream.Always(FakeReply.Error(500, "primary down"), FakeProvider.AzureOpenAI);
        var traceId = ActivityTraceId.CreateRandom();
        using var client = gateway.ForeignClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{gateway.FailoverAlias}}","messages":[{"role":"user","content":"fail me over"}]}""", Encoding.UTF8, "application/json"),
        };
        // A caller that is not .NET: the header as any W3C-aware client sends it.
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        var response = await client.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode);
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        await gateway.CallAsync(requestId);
        var attempts = gateway.Upstream.Requests.Where(r => r.Body.Contains("fail me over", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, attempts.Count); // the primary twice (one retry), then the backup
        Assert.All(attempts, a => Assert.Equal(traceId.ToHexString(), a.Header("traceparent")!.Split('-')[1]));

        var span = await SpanOfAsync(requestId);
        Assert.Equal(traceId, span.TraceId);
        Assert.Equal(["route", "provider.attempt", "failover", "provider.attempt", "settled"], span.Events.Select(e => e.Name));
        var first = span.Events.First(e => e.Name == "provider.attempt").Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal((gateway.Primary, "refused 500", 2), ((string?)first["provider"], (string?)first["outcome"], (int)first["attempts"]!));
        var failover = span.Events.Single(e => e.Name == "failover").Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal((gateway.Primary, "upstream_error"), ((string?)failover["provider"], (string?)failover["error_class"]));
        var last = span.Events.Last(e => e.Name == "provider.attempt").Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal((gateway.Backup, "answered"), ((string?)last["provider"], (string?)last["outcome"]));
        Assert.Equal(gateway.Backup, span.GetTagItem("gen_ai.provider.name"));
    }

    [Fact]
    public async Task A_call_the_provider_fails_is_an_error_span_a_refusal_is_not()
    {
        gateway.Upstream.Always(FakeReply.Error(500, "primary down"), FakeProvider.AzureOpenAI);
        using var client = gateway.Client(gateway.Key);

        var failed = await client.PostAsync("/v1/chat/completions", new StringContent($$"""{"model":"{{gateway.BrokenAlias}}","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json"));
        var refused = await client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"tr-no-such-model","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json"));

        var failedSpan = await SpanOfAsync(failed.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal(ActivityStatusCode.Error, failedSpan.Status);
        Assert.Equal("upstream_error", failedSpan.GetTagItem("error.type"));
        var refusedSpan = await SpanOfAsync(refused.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal(ActivityStatusCode.Unset, refusedSpan.Status);
        Assert.Equal("unknown_model", refusedSpan.GetTagItem("error.type"));
        Assert.Equal(404, refusedSpan.GetTagItem("http.response.status_code"));
        Assert.DoesNotContain(refusedSpan.Events, e => e.Name == "route");
    }

    /// <summary>The gateway span of a call, once it ended (the span ends after the answer went out).</summary>
    private async Task<Activity> SpanOfAsync(string requestId)
    {
        for (var i = 0; i < 100; i++)
        {
            if (_spans.FirstOrDefault(s => (string?)s.GetTagItem("controlplane.request_id") == requestId) is { } span) return span;
            await Task.Delay(50);
        }
        throw new TimeoutException($"No gateway span for {requestId}.");
    }
}
