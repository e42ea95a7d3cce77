using System.Text.Json.Nodes;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>One request as the fake received it, recorded before any check (so rejected ones are kept too).</summary>
public sealed record FakeRequest(
    FakeProvider? Provider,
    string Method,
    string PathAndQuery,
    IReadOnlyDictionary<string, string> Headers,
    string Body)
{
    /// <summary>A header's value (case-insensitive name), or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The output cap the request carried in its provider's field, or null when it sent none.</summary>
    public int? OutputCap => FakeBilling.OutputCap(Provider, Json());

    /// <summary>The body parsed as JSON; throws if it is not JSON.</summary>
    public JsonNode Json() => JsonNode.Parse(Body) ?? throw new InvalidOperationException("The body is JSON null.");
}
