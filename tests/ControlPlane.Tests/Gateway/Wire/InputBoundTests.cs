using System.Text;
using System.Text.Json;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;
using Microsoft.ML.Tokenizers;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>
/// Property-style checks (seeded, many cases) that holds are upper bounds: the input bound is never below what a real
/// tokenizer counts, and the hold covers any bill within the bound, the cap and n, at any price.
/// </summary>
public sealed class InputBoundTests
{
    private static readonly Tokenizer O200k = TiktokenTokenizer.CreateForEncoding("o200k_base");
    private static readonly Tokenizer Cl100k = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    private static readonly string[] Pieces =
    [
        "hello", "world", " ", "  ", "\n", "\t", ".", ",", "!?", "the quick brown fox", "don't", "3.14159", "1234567890",
        "äöüß", "déjà vu", "naïve", "東京", "中文字符", "русский", "עברית", "وعربي", "ελληνικά", "🙂", "🚀🔥", "👍🏽", "👨‍👩‍👧‍👦",
        "🇨🇭", "\u0301", "\"quoted\"", "\\", "</s>", "<|endoftext|>", "{\"json\":[1,2]}", "https://example.com/a?b=c",
    ];

    private static string RandomText(Random random)
    {
        var text = new StringBuilder();
        var parts = random.Next(0, 60);
        for (var i = 0; i < parts; i++)
        {
            if (random.Next(8) == 0)
                text.Append(char.ConvertFromUtf32(RandomScalar(random)));
            else
                text.Append(Pieces[random.Next(Pieces.Length)]);
        }
        return text.ToString();
    }

    /// <summary>Any Unicode scalar value but surrogates and NUL.</summary>
    private static int RandomScalar(Random random)
    {
        while (true)
        {
            var c = random.Next(1, 0x30000);
            if (c is < 0xD800 or > 0xDFFF) return c;
        }
    }

    private static (string Body, List<(string Role, string Content)> Messages) RandomRequest(Random random, int? maxTokens = null, int? n = null)
    {
        var roles = new[] { "system", "user", "assistant", "user" };
        var messages = Enumerable.Range(0, random.Next(1, 6)).Select(i => (roles[i % roles.Length], RandomText(random))).ToList();
        var body = new Dictionary<string, object> { ["model"] = "m", ["messages"] = messages.Select(m => new { role = m.Item1, content = m.Item2 }) };
        if (maxTokens is { } max) body["max_tokens"] = max;
        if (n is { } count) body["n"] = count;
        return (JsonSerializer.Serialize(body), messages);
    }

    /// <summary>What OpenAI bills per its cookbook: 3 per message, the role and content tokens, 3 priming the reply.</summary>
    private static long OpenAICount(Tokenizer tokenizer, List<(string Role, string Content)> messages) =>
        messages.Sum(m => 3L + tokenizer.CountTokens(m.Role) + tokenizer.CountTokens(m.Content)) + 3;

    private static RequestInfo Inspect(string body)
    {
        Assert.True(WireTranslation.TryInspect(Encoding.UTF8.GetBytes(body), WireFormat.OpenAIChat, out var info, out var error), error?.Message);
        return info!;
    }

    private static RouteTarget Target(string kind, string model) =>
        new(new ProviderEndpoint(Guid.NewGuid(), kind, kind, new Uri("http://127.0.0.1:1/"), null, null,
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0), model);

    private static InputBound.TextTokenCounter Counter(string body) => t => InputMeasure.TextTokens(Encoding.UTF8.GetBytes(body), t);

    [Fact]
    public void The_input_bound_is_never_below_the_real_tokenizers_count_of_random_text()
    {
        var random = new Random(8_2026);
        var options = new InputBoundOptions();
        for (var i = 0; i < 400; i++)
        {
            var (body, messages) = RandomRequest(random);
            var info = Inspect(body);
            var o200k = OpenAICount(O200k, messages);
            var cl100k = OpenAICount(Cl100k, messages);
            var bytes = messages.Sum(m => (long)Encoding.UTF8.GetByteCount(m.Content));

            // Byte-level bound (Anthropic, Gemini, any other model): every token spends at least one byte.
            foreach (var kind in new[] { ProviderKinds.Anthropic, ProviderKinds.Gemini })
            {
                var bound = InputBound.For(Target(kind, "any-model"), info, options, Counter(body));
                Assert.True(bound >= Math.Max(Math.Max(o200k, cl100k), bytes), $"case {i}: {kind} bound {bound} < count (o200k {o200k}, cl100k {cl100k}, bytes {bytes}) for {body}");
            }
            // OpenAI models: the real tokenizer plus framing and margin.
            var gpt4o = InputBound.For(Target(ProviderKinds.OpenAI, "gpt-4o"), info, options, Counter(body));
            var gpt4 = InputBound.For(Target(ProviderKinds.AzureOpenAI, "gpt-4"), info, options, Counter(body));
            Assert.True(gpt4o >= o200k, $"case {i}: gpt-4o bound {gpt4o} < o200k count {o200k} for {body}");
            Assert.True(gpt4 >= cl100k, $"case {i}: gpt-4 bound {gpt4} < cl100k count {cl100k} for {body}");
        }
    }

    [Fact]
    public void A_hold_covers_any_bill_within_the_input_bound_the_cap_and_n_at_any_price()
    {
        var random = new Random(4_242);
        var models = new[] { (ProviderKinds.OpenAI, "gpt-4o-mini"), (ProviderKinds.AzureOpenAI, "gpt-4.1"), (ProviderKinds.Anthropic, "claude-x"), (ProviderKinds.Gemini, "gemini-y"), (ProviderKinds.OpenAI, "llama-3-70b") };
        for (var i = 0; i < 500; i++)
        {
            int? cap = random.Next(3) == 0 ? null : random.Next(1, 20_000);
            int? n = random.Next(3) == 0 ? null : random.Next(1, 9);
            var (body, messages) = RandomRequest(random, cap, n);
            var info = Inspect(body);
            var targets = Enumerable.Range(0, random.Next(1, 4)).Select(_ => models[random.Next(models.Length)]).Select(m => Target(m.Item1, m.Item2)).ToList();
            var prices = targets.Select(t => Price(random, t)).ToArray();
            var catalog = new GatewayCatalog.Snapshot(
                new Dictionary<string, CatalogEntry> { ["m"] = new("m", ModelKinds.Chat, 1_000_000, true, true, targets) }, new PriceBook(prices));
            var options = new GatewayOptions { DefaultMaxOutputTokens = random.Next(1, 40_000) };

            var (plan, refusal) = Router.Plan(catalog, info, ModelKinds.Chat, options, DateTime.UnixEpoch.AddDays(1), Counter(body));

            Assert.Null(refusal);
            Assert.Equal((long)(cap ?? options.DefaultMaxOutputTokens), plan!.MaxOutputTokens);
            Assert.Equal(n ?? 1, plan.Choices);
            foreach (var (target, rate) in plan.Targets)
            {
                // What the provider bills: its own count of the text (the real tokenizer, or a byte per token), any
                // share of it cached, and up to the cap for each of the n answers.
                var tokenizer = target.Provider.Kind is ProviderKinds.OpenAI or ProviderKinds.AzureOpenAI ? OpenAIEncodings.For(target.UpstreamModel) : null;
                var input = tokenizer is null ? messages.Sum(m => 4L + Encoding.UTF8.GetByteCount(m.Role) + Encoding.UTF8.GetByteCount(m.Content)) : OpenAICount(tokenizer, messages);
                var cached = (long)(input * random.NextDouble());
                var output = plan.MaxOutputTokens * plan.Choices;
                var cost = rate!.CostOf(new TokenUsage(input, cached, output));
                Assert.True(cost <= plan.WorstCaseCost, $"case {i}: {target.UpstreamModel} bills {cost} over the hold {plan.WorstCaseCost} ({input} in, {output} out) for {body}");
                Assert.True(InputBound.For(target, info, options.InputBounds, Counter(body)) <= plan.InputTokensBound);
            }
        }
    }

    /// <summary>A random price from $0.0000001 a token upward; cached input never dearer than input.</summary>
    private static Price Price(Random random, RouteTarget target)
    {
        decimal PerMillion() => random.Next(4) switch
        {
            0 => 0.1m,
            1 => Math.Round((decimal)random.NextDouble() * 100m, 6),
            2 => random.Next(0, 200),
            _ => Math.Round((decimal)random.NextDouble(), 10),
        };
        var input = PerMillion();
        return new Price
        {
            Id = Guid.NewGuid(), ProviderId = target.Provider.Id, UpstreamModel = target.UpstreamModel, EffectiveFrom = DateTime.UnixEpoch,
            InputPerMillion = input, CachedInputPerMillion = Math.Round(input * (decimal)random.NextDouble(), 10), OutputPerMillion = PerMillion(), CreatedBy = "t",
        };
    }

    [Fact]
    public void Images_and_files_are_held_at_their_documented_worst_case()
    {
        var pdf = Convert.ToBase64String(new byte[3000]);
        var body = $$$"""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"text","text":"look"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,{{{Convert.ToBase64String(new byte[100_000])}}}"}},
              {"type":"file","file":{"filename":"a.pdf","file_data":"{{{pdf}}}"}},
              {"type":"input_audio","input_audio":{"data":"{{{Convert.ToBase64String(new byte[600])}}}","format":"wav"}},
              {"type":"file","file":{"file_id":"file-abc"}}]}]}
            """;
        var info = Inspect(body);
        var options = new InputBoundOptions();

        Assert.Equal(1, info.Input.Images);
        Assert.InRange(info.Input.FileBytes, 3600, 3606);
        Assert.Equal(1, info.Input.ReferencedFiles);
        Assert.InRange(info.Input.TextBytes, 4, 200); // the image's and files' base64 are not text
        var claude = InputBound.For(Target(ProviderKinds.Anthropic, "claude"), info, options, Counter(body));
        var mini = InputBound.For(Target(ProviderKinds.OpenAI, "gpt-4o-mini"), info, options, Counter(body));
        var gpt4o = InputBound.For(Target(ProviderKinds.OpenAI, "gpt-4o"), info, options, Counter(body));
        var media = info.Input.FileBytes + options.ReferencedFileTokens;
        Assert.InRange(claude - media - options.ImageTokens, 4, 400);
        Assert.InRange(mini - media - options.OpenAIMiniImageTokens, 4, 400);
        Assert.InRange(gpt4o - media - options.OpenAIImageTokens, 4, 400);
    }

    [Fact]
    public void Tools_and_schemas_are_input_too()
    {
        const string plain = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";
        const string tools = """{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","description":"The city, e.g. Zürich"}}}}}]}""";
        var options = new InputBoundOptions();

        var without = InputBound.For(Target(ProviderKinds.Gemini, "g"), Inspect(plain), options, null);
        var with = InputBound.For(Target(ProviderKinds.Gemini, "g"), Inspect(tools), options, null);
        var openAIWith = InputBound.For(Target(ProviderKinds.OpenAI, "gpt-4o"), Inspect(tools), options, Counter(tools));
        var openAIWithout = InputBound.For(Target(ProviderKinds.OpenAI, "gpt-4o"), Inspect(plain), options, Counter(plain));

        Assert.True(with - without >= options.ToolsOverheadTokens + 100, $"{with} vs {without}");
        Assert.True(openAIWith - openAIWithout >= options.OpenAIToolsOverheadTokens + O200k.CountTokens("get_weather city string The city, e.g. Zürich"));
    }

    [Fact]
    public void N_out_of_range_is_refused_before_any_hold()
    {
        Assert.False(WireTranslation.TryInspect(Encoding.UTF8.GetBytes("""{"model":"m","n":129,"messages":[{"role":"user","content":"x"}]}"""), WireFormat.OpenAIChat, out _, out var error));
        Assert.Equal("n", error!.Param);
        Assert.False(WireTranslation.TryInspect(Encoding.UTF8.GetBytes("""{"model":"m","n":0,"messages":[{"role":"user","content":"x"}]}"""), WireFormat.OpenAIChat, out _, out _));
        Assert.Equal(128, Inspect("""{"model":"m","n":128,"messages":[{"role":"user","content":"x"}]}""").Choices);
    }
}
