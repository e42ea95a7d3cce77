using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using Polly.CircuitBreaker;

namespace ControlPlane.Features.Gateway.Relay;

/// <summary>
/// Per-provider metrics: retries (counted where they happen, in <see cref="ProviderClients"/>), the state of each
/// provider's circuit breaker, and the health poller's verdict. The gauges are read at scrape time from state that
/// exists anyway; one series per provider.
/// </summary>
public sealed class ProviderMetrics
{
    private readonly ConcurrentDictionary<Guid, (string Name, CircuitBreakerStateProvider State)> _circuits = new();
    private readonly Counter<long> _retries;

    public ProviderMetrics(IMeterFactory meters, ProviderHealthBoard health)
    {
        var meter = meters.Create(GatewayMetrics.MeterName);
        _retries = meter.CreateCounter<long>("controlplane.gateway.retries", description: "Attempts repeated on the same provider (429, 5xx, connection errors), by provider");
        meter.CreateObservableGauge<int>("controlplane.provider.circuit_state", ObserveCircuits,
            description: "Each provider's circuit breaker: 0 closed (calls go), 1 half-open (trying one), 2 open (skipped), 3 isolated");
        meter.CreateObservableGauge<int>("controlplane.provider.health", () => ObserveHealth(health),
            description: "Each provider's health as the poller and the gateway's outcomes judge it: 2 healthy, 1 degraded, 0 down");
    }

    /// <summary>The circuit of a provider's (new) pipeline: the one the gauge reads from now on.</summary>
    public void Track(ProviderEndpoint provider, CircuitBreakerStateProvider state) => _circuits[provider.Id] = (provider.Name, state);

    public void Retried(ProviderEndpoint provider, int retries)
    {
        if (retries > 0) _retries.Add(retries, new KeyValuePair<string, object?>("provider", provider.Name));
    }

    private IEnumerable<Measurement<int>> ObserveCircuits()
    {
        foreach (var (name, state) in _circuits.Values)
            yield return new Measurement<int>(state.CircuitState switch
            {
                CircuitState.Closed => 0,
                CircuitState.HalfOpen => 1,
                CircuitState.Open => 2,
                _ => 3,
            }, new TagList { { "provider", name } });
    }

    private static IEnumerable<Measurement<int>> ObserveHealth(ProviderHealthBoard health)
    {
        foreach (var h in health.Current.Values)
            yield return new Measurement<int>(h.State switch
            {
                ProviderHealthStates.Healthy => 2,
                ProviderHealthStates.Degraded => 1,
                _ => 0,
            }, new TagList { { "provider", h.Name } });
    }
}
