using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Routing;
using ControlPlane.Features.Teams;

namespace ControlPlane.Tests.Routing;

/// <summary>
/// A small world for routing decisions without a server: four providers (hosted in the US and the EU, a local Ollama,
/// a cheap hosted Llama), three aliases, prices, and teams Platform ⊃ Batch and Research.
/// </summary>
internal static class RoutingWorld
{
    public static readonly DateTime Noon = new(2026, 6, 15, 12, 0, 0, DateTimeKind.Utc);

    public static readonly ProviderEndpoint OpenAI = Provider("openai", "https://api.openai.example/v1/");
    public static readonly ProviderEndpoint MistralEu = Provider("mistral-eu", "https://api.mistral.example/v1/");
    public static readonly ProviderEndpoint Ollama = Provider("ollama", "http://127.0.0.1:11434/v1/");
    public static readonly ProviderEndpoint Groq = Provider("groq", "https://api.groq.example/openai/v1/");

    public static readonly RouteTarget Gpt4o = new(OpenAI, "gpt-4o") { Capabilities = new(128_000, true, true, true, true, "us", false) };
    public static readonly RouteTarget MistralLarge = new(MistralEu, "mistral-large") { Capabilities = new(32_000, true, false, true, true, "eu", false) };
    public static readonly RouteTarget Llama3Local = new(Ollama, "llama3") { Capabilities = new(8_000, false, false, false, true, "eu", true) };
    public static readonly RouteTarget Llama33 = new(Groq, "llama-3.3") { Capabilities = new(128_000, true, false, true, true, "us", false) };
    public static readonly RouteTarget Embedding = new(OpenAI, "text-embedding-3-small") { Capabilities = new(8_000, false, false, false, false, "us", false) };

    public static readonly Team Platform = new() { Id = Guid.NewGuid(), Name = "Platform" };
    public static readonly Team Batch = new() { Id = Guid.NewGuid(), Name = "Batch", ParentTeamId = Platform.Id };
    public static readonly Team Research = new() { Id = Guid.NewGuid(), Name = "Research" };

    public static GatewayCatalog.Snapshot Catalog(params Guid[] down) => new(
        new Dictionary<string, CatalogEntry>(StringComparer.Ordinal)
        {
            ["gpt"] = new("gpt", ModelKinds.Chat, 128_000, true, true, [Gpt4o, MistralLarge]),
            ["llama"] = new("llama", ModelKinds.Chat, 128_000, true, false, [Llama3Local, Llama33]),
            ["embed"] = new("embed", ModelKinds.Embedding, 8_000, false, false, [Embedding]),
        },
        new PriceBook([
            PriceOf(OpenAI, "gpt-4o", 2.50m, 10m), PriceOf(MistralEu, "mistral-large", 2m, 6m), PriceOf(Ollama, "llama3", 0.01m, 0.01m),
            PriceOf(Groq, "llama-3.3", 0.59m, 0.79m), PriceOf(OpenAI, "text-embedding-3-small", 0.02m, 0m),
        ]))
    { Down = down.ToHashSet() };

    /// <summary>Rules in the given order (priority = position), compiled with the teams and locks.</summary>
    public static RoutingSnapshot Compiled(IEnumerable<RuleForm> rules, IEnumerable<RegionLock>? locks = null,
        IReadOnlyDictionary<(string, string), double>? latency = null, TimeZoneInfo? zone = null) =>
        RoutingSnapshot.Compile([.. rules.Select((form, i) => Rule(form, i))], [Platform, Batch, Research], [.. locks ?? []],
            latency ?? new Dictionary<(string, string), double>(), zone ?? TimeZoneInfo.Utc);

    public static RoutingSnapshot Compiled(params RuleForm[] rules) => Compiled((IEnumerable<RuleForm>)rules);

    public static RoutingRule Rule(RuleForm form, int priority)
    {
        Assert.Null(form.Problem());
        return new RoutingRule
        {
            Id = Guid.NewGuid(), Priority = priority, Name = form.Name, Enabled = form.Enabled, UpdatedBy = "test",
            Conditions = RuleJson.Write(form.Conditions()), Action = RuleJson.Write(form.Action()),
        };
    }

    public static RegionLock Lock(Team? team, string region) => new() { Id = Guid.NewGuid(), TeamId = team?.Id, Region = region, UpdatedBy = "test" };

    public static RouteInput Input(string model = "gpt", Team? team = null, long tokens = 100, bool tools = false, bool images = false,
        string[]? tags = null, string? region = null, string? caller = null, string? endUser = null, string? key = null, Guid? project = null) =>
        new(new RequestInfo(model, false, 100, endUser, tokens, tools, images), team?.Id, project, key, caller, endUser, tags ?? [], region);

    public static (RoutePlan? Plan, RouteRefusal? Refusal) Decide(RoutingSnapshot routing, RouteInput input, GatewayCatalog.Snapshot? catalog = null,
        DateTime? at = null, Random? random = null, string kind = ModelKinds.Chat, RouteTrace? trace = null) =>
        RouteDecider.Decide(catalog ?? Catalog(), routing, input, kind, new GatewayOptions(), at ?? Noon, null, random ?? new Random(7), trace);

    public static string Picked(RoutePlan plan) => $"{plan.Targets[0].Target.Provider.Name}/{plan.Targets[0].Target.UpstreamModel}";

    public static IEnumerable<string> Chain(RoutePlan plan) => plan.Targets.Select(t => $"{t.Target.Provider.Name}/{t.Target.UpstreamModel}");

    private static ProviderEndpoint Provider(string name, string url) => new(Guid.NewGuid(), name, "openai", new Uri(url), null, null,
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0);

    private static Price PriceOf(ProviderEndpoint provider, string model, decimal input, decimal output) => new()
    {
        Id = Guid.NewGuid(), ProviderId = provider.Id, UpstreamModel = model, EffectiveFrom = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        InputPerMillion = input, CachedInputPerMillion = input, OutputPerMillion = output, CreatedBy = "test",
    };
}
