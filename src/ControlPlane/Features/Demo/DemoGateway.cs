using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Features.Demo;

/// <summary>
/// The demo's gateway side: real providers' public endpoints (without keys, so nothing is ever called), a model
/// catalogue, a dated price book with one price change, and a week of calls priced from that book. Seed data writes
/// the tables directly: it is a fixture, not a feature.
/// </summary>
internal static class DemoGateway
{
    /// <summary>How many days back the demo's calls reach.</summary>
    public const int HistoryDays = 7;

    /// <summary>The key whose calls burst two hours before the demo's moment: the Overview's anomaly on any day.</summary>
    public const string BurstingKey = "research-notebooks";

    private sealed record DemoModel(string Alias, string Kind, string Provider, string Upstream, decimal In, decimal? Cached, decimal Out, int Share, string? Fallback = null);

    private static readonly (string Name, string Kind, string Url, string? Version)[] Providers =
    [
        ("openai", ProviderKinds.OpenAI, "https://api.openai.com/v1", null),
        ("azure-eu", ProviderKinds.AzureOpenAI, "https://acme-eu.openai.azure.com", "2024-10-21"),
        ("anthropic", ProviderKinds.Anthropic, "https://api.anthropic.com", null),
        ("gemini", ProviderKinds.Gemini, "https://generativelanguage.googleapis.com", null),
        ("groq", ProviderKinds.OpenAI, "https://api.groq.com/openai/v1", null),
    ];

    private static readonly DemoModel[] Models =
    [
        new("gpt-4o-mini", ModelKinds.Chat, "openai", "gpt-4o-mini", 0.15m, 0.075m, 0.60m, 30, Fallback: "azure-eu"),
        new("gpt-4o", ModelKinds.Chat, "openai", "gpt-4o", 2.50m, 1.25m, 10.00m, 12),
        new("claude-sonnet", ModelKinds.Chat, "anthropic", "claude-sonnet-4-5", 3.00m, 0.30m, 15.00m, 18),
        new("claude-haiku", ModelKinds.Chat, "anthropic", "claude-haiku-4-5", 1.00m, 0.10m, 5.00m, 12),
        new("gemini-flash", ModelKinds.Chat, "gemini", "gemini-2.5-flash", 0.30m, 0.075m, 2.50m, 14),
        new("llama-70b", ModelKinds.Chat, "groq", "llama-3.3-70b-versatile", 0.59m, null, 0.79m, 6),
        new("text-embedding-3-small", ModelKinds.Embedding, "openai", "text-embedding-3-small", 0.02m, null, 0m, 8),
    ];

    public static void Seed(ControlPlaneDb db, IReadOnlyList<(Guid KeyId, Guid TeamId)> keys, (Guid KeyId, Guid TeamId) bursting, DateTime now)
    {
        var providers = Providers.ToDictionary(p => p.Name, p => new Provider
        {
            Id = Guid.NewGuid(), Name = p.Name, Kind = p.Kind, BaseUrl = p.Url, ApiVersion = p.Version, CreatedAt = now.AddDays(-90), UpdatedAt = now.AddDays(-90),
        });
        db.Providers.AddRange(providers.Values);

        var rates = new Dictionary<string, (Provider Provider, DemoModel Model)>();
        foreach (var m in Models)
        {
            var model = new CatalogModel
            {
                Id = Guid.NewGuid(), Alias = m.Alias, Kind = m.Kind, ContextWindow = m.Kind == ModelKinds.Chat ? 128_000 : 8_192,
                SupportsTools = m.Kind == ModelKinds.Chat, SupportsVision = m.Alias is "gpt-4o" or "claude-sonnet" or "gemini-flash", CreatedAt = now.AddDays(-90),
            };
            db.CatalogModels.Add(model);
            db.ModelTargets.Add(new ModelTarget { Id = Guid.NewGuid(), ModelId = model.Id, ProviderId = providers[m.Provider].Id, UpstreamModel = m.Upstream, Priority = 0 });
            if (m.Fallback is { } fallback)
            {
                db.ModelTargets.Add(new ModelTarget { Id = Guid.NewGuid(), ModelId = model.Id, ProviderId = providers[fallback].Id, UpstreamModel = m.Upstream, Priority = 1 });
                db.Prices.Add(PriceOf(providers[fallback], m, now.AddDays(-90), 1m));
            }
            db.Prices.Add(PriceOf(providers[m.Provider], m, now.AddDays(-90), m.Alias == "gpt-4o" ? 2m : 1m));
            // gpt-4o got cheaper three weeks ago: calls before then keep the old price.
            if (m.Alias == "gpt-4o") db.Prices.Add(PriceOf(providers[m.Provider], m, now.AddDays(-21), 1m));
            rates[m.Alias] = (providers[m.Provider], m);
        }
        SeedCalls(db, keys, rates, now);
        SeedBurst(db, bursting, rates["claude-sonnet"], now);
    }

    private static Price PriceOf(Provider provider, DemoModel m, DateTime from, decimal factor)
    {
        var rate = RateOf(m, factor);
        return new()
        {
            Id = Guid.NewGuid(), ProviderId = provider.Id, UpstreamModel = m.Upstream, EffectiveFrom = from,
            InputPerMillion = rate.InputPerMillion, CachedInputPerMillion = rate.CachedInputPerMillion,
            CacheWriteInputPerMillion = rate.CacheWritePerMillion, OutputPerMillion = rate.OutputPerMillion,
            CreatedAt = from, CreatedBy = "system:demo-data",
        };
    }

    /// <summary>The demo's prices leave out what a real admin may: cached input then costs input, cache writes 1.25 × input.</summary>
    private static PriceRate RateOf(DemoModel m, decimal factor) =>
        new(Guid.Empty, m.In * factor, PriceRules.CachedInputOrDefault(m.In * factor, m.Cached * factor), m.Out * factor, DateTime.MinValue);

    /// <summary>
    /// A notebook left running: 90 large Claude calls of one key within the hour that began two hours ago, far above
    /// the key's usual hour, so the Overview flags an anomaly on any day. Its own random source: the week of calls
    /// above stays as it was.
    /// </summary>
    private static void SeedBurst(ControlPlaneDb db, (Guid KeyId, Guid TeamId) key, (Provider Provider, DemoModel Model) target, DateTime now)
    {
        var random = new Random(20261201);
        var (provider, model) = target;
        var hour = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc).AddHours(-2);
        var rate = RateOf(model, 1m);
        for (var i = 0; i < 90; i++)
        {
            var at = hour.AddSeconds(random.Next(3600));
            var (input, output) = (random.Next(6_000, 10_000), random.Next(800, 2_000));
            var latency = random.Next(300, 900) + output * random.Next(8, 20);
            db.Calls.Add(new CallRecord
            {
                Id = Guid.CreateVersion7(new DateTimeOffset(at, TimeSpan.Zero)), At = at, KeyId = key.KeyId, TeamId = key.TeamId, Caller = "notebook",
                Endpoint = "chat", ModelRequested = model.Alias, ModelServed = model.Upstream, ProviderId = provider.Id, ProviderName = provider.Name,
                RouteReason = $"alias '{model.Alias}' → {provider.Name}/{model.Upstream}", Status = 200, Streamed = true,
                InputTokens = input, OutputTokens = output, Cost = rate.CostOf(new TokenUsage(input, 0, output, 0)), UsageSource = UsageSource.Provider,
                TimeToFirstTokenMs = 400, LatencyMs = latency, OutputTokensPerSecond = Math.Round(output / ((latency - 400) / 1000.0), 2),
                RequestBytes = input * 4 + 200, ResponseBytes = output * 5 + 300,
            });
        }
    }

    /// <summary>
    /// About 1,500 calls over the last seven days, busier in working hours, with a few failures. A quarter of them fall
    /// in today so far, which lies in every wallet's current period, so the budgets show spend on any date (the first
    /// of a month included).
    /// </summary>
    private static void SeedCalls(ControlPlaneDb db, IReadOnlyList<(Guid KeyId, Guid TeamId)> keys, Dictionary<string, (Provider Provider, DemoModel Model)> rates, DateTime now)
    {
        var random = new Random(20261122); // the same demo every time
        var weighted = rates.Values.SelectMany(r => Enumerable.Repeat(r, r.Model.Share)).ToArray();
        var callers = new[] { "checkout-service", "support-bot", "nightly-batch", "notebook", null };
        for (var i = 0; i < 1500; i++)
        {
            var at = now.AddMinutes(-random.Next(HistoryDays * 24 * 60));
            if (at.Hour is < 7 or > 19 && random.Next(3) > 0) at = at.Date.AddHours(random.Next(8, 19)).AddMinutes(random.Next(60)); // nights are quieter
            if (at > now) at = at.AddDays(-1);
            if (i % 4 == 0) at = now.Date + (now - now.Date) * random.NextDouble();
            var (provider, model) = weighted[random.Next(weighted.Length)];
            var (keyId, teamId) = keys[random.Next(keys.Count)];
            var embedding = model.Kind == ModelKinds.Embedding;
            var input = embedding ? random.Next(50, 4000) : random.Next(200, 12_000);
            var cached = embedding || random.Next(4) > 0 ? 0 : input / 2;
            var output = embedding ? 0 : random.Next(20, 1800);
            var failed = random.Next(100) switch { < 2 => 429, < 3 => 502, _ => 200 };
            var streamed = !embedding && random.Next(3) > 0;
            var ttft = embedding ? (int?)null : random.Next(180, 1400);
            var latency = (ttft ?? random.Next(60, 300)) + (streamed ? output * random.Next(8, 25) : random.Next(200, 4000));
            if (failed != 200) (input, cached, output) = (0, 0, 0);
            var factor = model.Alias == "gpt-4o" && at < now.AddDays(-21) ? 2m : 1m;
            // Some Claude calls write their prompt to the cache (priced at the cache-write rate); no random draw, so the rest of the demo stays as it was.
            var cacheWrite = provider.Kind == ProviderKinds.Anthropic && cached == 0 && i % 5 == 0 ? input / 4 : 0;
            var usage = new TokenUsage(input, cached, output, cacheWrite);
            var rate = RateOf(model, factor);
            db.Calls.Add(new CallRecord
            {
                Id = Guid.CreateVersion7(new DateTimeOffset(at, TimeSpan.Zero)), At = at, KeyId = keyId, TeamId = teamId,
                Caller = callers[random.Next(callers.Length)], Endpoint = embedding ? "embeddings" : "chat",
                ModelRequested = model.Alias, ModelServed = model.Upstream, ProviderId = provider.Id, ProviderName = provider.Name,
                RouteReason = $"alias '{model.Alias}' → {provider.Name}/{model.Upstream}", Status = failed,
                ErrorClass = failed switch { 429 => "upstream_rate_limited", 502 => "upstream_error", _ => null },
                Retries = failed == 200 ? (random.Next(30) == 0 ? 1 : 0) : 2, Streamed = streamed,
                InputTokens = input, CachedInputTokens = cached, CacheWriteInputTokens = cacheWrite, OutputTokens = output, Cost = rate.CostOf(usage),
                UsageSource = failed == 200 ? UsageSource.Provider : UsageSource.None,
                TimeToFirstTokenMs = failed == 200 ? ttft : null, LatencyMs = latency,
                OutputTokensPerSecond = failed == 200 && streamed && output > 0 && latency > (ttft ?? 0) ? Math.Round(output / ((latency - (ttft ?? 0)) / 1000.0), 2) : null,
                RequestBytes = input * 4 + 200, ResponseBytes = output * 5 + 300,
            });
        }
    }
}
