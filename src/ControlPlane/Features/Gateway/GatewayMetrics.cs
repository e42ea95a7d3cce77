using System.Diagnostics;
using System.Diagnostics.Metrics;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Infrastructure.Telemetry;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// The gateway's per-call metrics (Prometheus names in README "Observability"), recorded once where a call is settled,
/// from the call itself: never by reading rows back. Labels are bounded: the model is a catalogue alias (anything else
/// is "other", so a caller cannot mint series by inventing model names), the provider and team come from our own
/// tables, the status is an HTTP code. Nothing is formatted per call: label values are strings that already exist.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "ControlPlane.Gateway";
    /// <summary>The label value when a call never got that far (no key, no provider).</summary>
    public const string None = "none";
    /// <summary>The model label of a name the catalogue does not know.</summary>
    public const string Other = "other";

    // Seconds. Time to first token: a cached short answer to a slow reasoning model; total: up to a long stream.
    private static readonly double[] FirstTokenBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
    private static readonly double[] DurationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 300];
    private static readonly string[] StatusLabels = [.. Enumerable.Range(0, 600).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private readonly GatewayCatalog _catalog;
    private readonly TeamLabels _teams;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _firstToken;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _failovers;

    public GatewayMetrics(IMeterFactory meters, GatewayCatalog catalog, TeamLabels teams)
    {
        _catalog = catalog;
        _teams = teams;
        var meter = meters.Create(MeterName);
        _calls = meter.CreateCounter<long>("controlplane.gateway.calls", description: "Gateway calls by model, provider, team and HTTP status");
        _tokens = meter.CreateCounter<long>("controlplane.gateway.tokens", description: "Tokens metered by model, provider, team and type (input, cached_input: part of input, output)");
        _cost = meter.CreateCounter<double>("controlplane.gateway.cost_usd", description: "Cost charged in USD by model, provider and team");
        _duration = meter.CreateHistogram("controlplane.gateway.duration", "s", "Call latency from the request to the last byte, by model and provider",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _firstToken = meter.CreateHistogram("controlplane.gateway.time_to_first_token", "s", "Time to the first token (streams) or to the whole answer, by model and provider",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FirstTokenBuckets });
        _errors = meter.CreateCounter<long>("controlplane.gateway.errors", description: "Calls that ended in an error, by error class and provider");
        _failovers = meter.CreateCounter<long>("controlplane.gateway.failovers", description: "Failovers away from a provider, by that provider and why");
    }

    /// <summary>One settled call (served, refused or failed). Does nothing when no exporter listens.</summary>
    public void Record(GatewayCall call)
    {
        if (!_calls.Enabled) return;
        var record = call.Record;
        var model = ModelLabel(record.ModelRequested);
        var provider = record.ProviderName ?? None;
        var team = TeamOf(record.TeamId);
        var status = (uint)record.Status < StatusLabels.Length ? StatusLabels[record.Status] : Other;

        _calls.Add(1, new TagList { { "model", model }, { "provider", provider }, { "team", team }, { "status", status } });
        var spend = new TagList { { "model", model }, { "provider", provider }, { "team", team } };
        if (record.InputTokens > 0) _tokens.Add(record.InputTokens, With(spend, "type", "input"));
        if (record.CachedInputTokens > 0) _tokens.Add(record.CachedInputTokens, With(spend, "type", "cached_input"));
        if (record.OutputTokens > 0) _tokens.Add(record.OutputTokens, With(spend, "type", "output"));
        if (record.Cost > 0) _cost.Add((double)record.Cost, spend);

        var timing = new TagList { { "model", model }, { "provider", provider } };
        _duration.Record(record.LatencyMs / 1000.0, timing);
        if (record.TimeToFirstTokenMs is { } firstToken) _firstToken.Record(firstToken / 1000.0, timing);
        if (record.ErrorClass is { } errorClass) _errors.Add(1, new TagList { { "error_class", errorClass }, { "provider", provider } });
        if (call.FailedOver is { } failedOver)
            foreach (var (from, why) in failedOver) _failovers.Add(1, new TagList { { "provider", from }, { "error_class", why } });
    }

    /// <summary>A call refused before it had a row of its own (an unknown or missing key).</summary>
    public void Refused(int status, string errorClass)
    {
        if (!_calls.Enabled) return;
        _calls.Add(1, new TagList { { "model", None }, { "provider", None }, { "team", None }, { "status", StatusLabels[status] } });
        _errors.Add(1, new TagList { { "error_class", errorClass }, { "provider", None } });
    }

    /// <summary>A team's label: its name (<see cref="TeamLabels"/>), or "none".</summary>
    public string TeamOf(Guid? teamId) => teamId is { } id ? _teams.Of(id) : None;

    private string ModelLabel(string? requested) =>
        requested is null ? None : _catalog.Current.Models.TryGetValue(requested, out var entry) ? entry.Alias : Other;

    private static TagList With(TagList tags, string key, string value)
    {
        tags.Add(key, value);
        return tags;
    }
}
