using System.Diagnostics;
using System.Globalization;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// One span per gateway call (<see cref="SourceName"/>), a child of the request's span and so of the caller's
/// <c>traceparent</c>: the route decision, each provider's attempts and failovers, and the settlement are its events;
/// model, provider, team, tokens and cost its attributes (OpenTelemetry's gen_ai names where there is one). With no
/// listener (traces off) <see cref="Start"/> returns null and every other method returns at once: nothing is
/// allocated for a trace nobody records. The provider's HTTP request is a child span of this one, so the provider
/// sees the caller's trace id in the <c>traceparent</c> HttpClient sends.
/// </summary>
public static class GatewayTracing
{
    public const string SourceName = "ControlPlane.Gateway";
    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>True when something records the gateway's spans (an exporter, a test's listener).</summary>
    public static bool On => Source.HasListeners();

    /// <summary>Starts the call's span (ended by the caller); null when nobody records it.</summary>
    public static Activity? Start(GatewayCall call)
    {
        var span = Source.StartActivity("gateway " + call.Record.Endpoint, ActivityKind.Internal);
        if (span is null) return null;
        if (span.IsAllDataRequested)
        {
            span.SetTag("controlplane.request_id", call.RequestId);
            span.SetTag("gen_ai.operation.name", call.Record.Endpoint);
        }
        return span;
    }

    /// <summary>The router's decision: the alias, its targets in order, and the worst case held for it.</summary>
    public static void Routed(GatewayCall call, RoutePlan plan)
    {
        if (call.Span is not { IsAllDataRequested: true } span) return;
        span.AddEvent(new ActivityEvent("route", tags: new ActivityTagsCollection
        {
            ["reason"] = plan.Reason,
            ["alias"] = plan.Alias,
            ["targets"] = string.Join(", ", plan.Targets.Select(t => $"{t.Target.Provider.Name}/{t.Target.UpstreamModel}")),
            ["worst_case_cost_usd"] = (double)plan.WorstCaseCost,
        }));
    }

    /// <summary>Sending to one provider ended (retries included), on the current gateway span if there is one.</summary>
    public static void Attempted(ProviderEndpoint provider, SendOutcome outcome)
    {
        if (Activity.Current is not { IsAllDataRequested: true } span || span.Source != Source) return;
        span.AddEvent(new ActivityEvent("provider.attempt", tags: new ActivityTagsCollection
        {
            ["provider"] = provider.Name,
            ["outcome"] = outcome.Succeeded ? "answered" : outcome.Failure == SendFailure.Refused ? $"refused {(int?)outcome.Response?.StatusCode}" : outcome.Failure.ToString(),
            ["attempts"] = outcome.Retries + 1,
            ["detail"] = outcome.Detail,
        }));
    }

    /// <summary>The call leaves a provider for the next target.</summary>
    public static void FailedOver(GatewayCall call, string provider, string errorClass)
    {
        if (call.Span is not { IsAllDataRequested: true } span) return;
        span.AddEvent(new ActivityEvent("failover", tags: new ActivityTagsCollection { ["provider"] = provider, ["error_class"] = errorClass }));
    }

    /// <summary>The call is settled: what it used and cost, which wallets were charged, and how it ended.</summary>
    public static void Settled(GatewayCall call, IReadOnlyList<WalletCharge> charges, string team)
    {
        if (call.Span is not { IsAllDataRequested: true } span) return;
        var r = call.Record;
        span.DisplayName = r.ModelRequested is { } model ? $"{r.Endpoint} {model}" : span.DisplayName;
        span.SetTag("gen_ai.request.model", r.ModelRequested);
        span.SetTag("gen_ai.response.model", r.ModelServed);
        span.SetTag("gen_ai.provider.name", r.ProviderName);
        span.SetTag("gen_ai.usage.input_tokens", r.InputTokens);
        span.SetTag("gen_ai.usage.output_tokens", r.OutputTokens);
        span.SetTag("http.response.status_code", r.Status);
        span.SetTag("controlplane.team", team);
        span.SetTag("controlplane.key_id", r.KeyId?.ToString());
        span.SetTag("controlplane.cost_usd", (double)r.Cost);
        span.SetTag("controlplane.retries", r.Retries);
        span.SetTag("controlplane.route_reason", r.RouteReason);
        if (r.ErrorClass is { } errorClass)
        {
            span.SetTag("error.type", errorClass);
            // A refusal (4xx) is the gateway working; a failure to serve (5xx) is an error of the call.
            if (r.Status >= 500) span.SetStatus(ActivityStatusCode.Error, errorClass);
        }
        span.AddEvent(new ActivityEvent("settled", tags: new ActivityTagsCollection
        {
            ["cost_usd"] = r.Cost.ToString(CultureInfo.InvariantCulture),
            ["usage_source"] = r.UsageSource.ToString(),
            ["input_tokens"] = r.InputTokens,
            ["output_tokens"] = r.OutputTokens,
            ["wallets_charged"] = charges.Count,
            ["status"] = r.Status,
        }));
    }
}
