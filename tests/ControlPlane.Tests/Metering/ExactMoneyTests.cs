using System.Net;
using System.Text;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway.FakeUpstream;
using ControlPlane.Tests.Wallets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// One money scale end to end, through the real gateway: costs of the tiniest prices carry 12 decimals, and after
/// hundreds of concurrent calls every call row, ledger line and wallet balance agrees to the last digit.
/// </summary>
public abstract class ExactMoneyTests<TApp>(TApp gateway) : IDisposable where TApp : TinyPricesApp
{
    private const decimal Million = 1_000_000m;

    /// <summary>What fake-openai reports for "tiny": 995 uncached, 8 cached, 89 out.</summary>
    private static readonly FakeUsage OpenAIUsage = new(Input: 1_003, Cached: 8, Output: 89);

    /// <summary>What fake-anthropic reports for "tiny-claude": 895 uncached, 7 read from the cache, 101 written to it, 89 out.</summary>
    private static readonly FakeUsage ClaudeUsage = new(Input: 1_003, Cached: 7, Output: 89, CacheWrite: 101);

    // Worked out by hand from the configured prices, not by the code under test.
    private static readonly decimal TinyCost =
        (995 * TinyPricesApp.OpenAIInput + 8 * TinyPricesApp.OpenAICached + 89 * TinyPricesApp.OpenAIOutput) / Million;

    private static readonly decimal ClaudeCost =
        (895 * TinyPricesApp.ClaudeInput + 7 * TinyPricesApp.ClaudeCached + 101 * TinyPricesApp.ClaudeCacheWriteDefault + 89 * TinyPricesApp.ClaudeOutput) / Million;

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static HttpRequestMessage Call(string model, int i)
    {
        var stream = i % 2 == 0 ? "true" : "false";
        // Anthropic's own front door for half the Claude calls, the OpenAI one for the rest.
        if (model == "tiny-claude" && i % 4 < 2)
        {
            return new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
            {
                Content = Json($$"""{"model":"{{model}}","max_tokens":2000,"stream":{{stream}},"messages":[{"role":"user","content":"exact {{i}}"}]}"""),
            };
        }
        return new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json($$"""{"model":"{{model}}","max_tokens":2000,"stream":{{stream}},"messages":[{"role":"user","content":"exact {{i}}"}]}"""),
        };
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            if (request.RequestUri!.OriginalString == "/v1/messages")
            {
                request.Headers.Add("anthropic-version", "2023-06-01");
            }
            using var response = await client.SendAsync(request);
            await response.Content.ReadAsStringAsync();
            return response.StatusCode;
        }
    }

    [Fact]
    public void The_tiny_prices_give_costs_that_need_all_twelve_decimals()
    {
        // Not vacuous: at the old scale of 10 these costs would have been rounded.
        Assert.Equal(0.000110487681m, TinyCost);
        Assert.Equal(0.000128895089m, ClaudeCost);
        Assert.NotEqual(decimal.Round(TinyCost, 10), TinyCost);
        Assert.NotEqual(decimal.Round(ClaudeCost, 10), ClaudeCost);
    }

    [Fact]
    public async Task Ledger_sums_equal_wallet_balances_to_the_last_digit_after_hundreds_of_tiny_priced_calls()
    {
        gateway.Upstream.Always(new FakeReply { Text = "exact", Chunks = 2, Usage = OpenAIUsage }, FakeProvider.OpenAI);
        gateway.Upstream.Always(new FakeReply { Text = "exact", Chunks = 2, Usage = ClaudeUsage }, FakeProvider.Anthropic);
        var teamName = $"Exact-{Guid.NewGuid():N}"[..20];
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, teamName, 5m);
        var key = await gateway.CreateKeyAsync(teamName);
        using var client = gateway.Client(key);
        client.DefaultRequestHeaders.Add("x-api-key", key);
        const int calls = 300;

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, calls).Select(async i =>
        {
            await go.Task;
            return await SendAsync(client, Call(i % 2 == 0 ? "tiny" : "tiny-claude", i / 2));
        }).ToArray();
        go.SetResult();
        var statuses = await Task.WhenAll(tasks);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var rows = await RowsAsync(team, calls);
        await WalletTestKit.ReturnLeasesAsync(gateway.App);
        Assert.All(rows.Where(r => r.ModelRequested == "tiny"), r => Assert.Equal(TinyCost, r.Cost));
        Assert.All(rows.Where(r => r.ModelRequested == "tiny-claude"), r => Assert.Equal(ClaudeCost, r.Cost));
        Assert.All(rows.Where(r => r.ModelRequested == "tiny-claude"), r => Assert.Equal((1_003L, 7L, 101L), (r.InputTokens, r.CachedInputTokens, r.CacheWriteInputTokens)));
        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(calls / 2 * TinyCost + calls / 2 * ClaudeCost, wallet.Spent);
        Assert.Equal(rows.Sum(r => r.Cost), wallet.Spent);
        Assert.Equal(0m, wallet.Leased);
        await using (var db = gateway.App.OpenDb())
        {
            var ledger = (await db.LedgerEntries.AsNoTracking().Where(e => e.WalletId == wallet.Id && e.Account == ControlPlane.Features.Wallets.LedgerAccounts.Spent)
                .Select(e => e.Amount).ToListAsync()).Sum();
            Assert.Equal(wallet.Spent, ledger);
        }
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [Fact]
    public async Task An_Anthropic_cache_write_is_recorded_and_charged_at_the_cache_write_rate()
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = "cached", Usage = ClaudeUsage });
        using var client = gateway.Client(gateway.Key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        using var response = await client.PostAsync("/v1/messages", Json("""{"model":"tiny-claude","max_tokens":100,"messages":[{"role":"user","content":"write it"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var usage = Gateway.Wire.WireKit.Json(await response.Content.ReadAsStringAsync()).GetProperty("usage");
        Assert.Equal((895L, 7L, 101L), (usage.GetProperty("input_tokens").GetInt64(), usage.GetProperty("cache_read_input_tokens").GetInt64(),
            usage.GetProperty("cache_creation_input_tokens").GetInt64()));
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal((1_003L, 7L, 101L, 89L), (row.InputTokens, row.CachedInputTokens, row.CacheWriteInputTokens, row.OutputTokens));
        Assert.Equal(ClaudeCost, row.Cost);
    }

    [Fact]
    public async Task A_configured_price_without_a_cached_price_charges_cached_input_at_the_input_price()
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = "plain", Usage = new(1_000, 600, 10) });
        using var client = gateway.Client(gateway.Key);

        using var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"tiny-plain","max_tokens":100,"messages":[{"role":"user","content":"plain"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal((1_000 * TinyPricesApp.PlainInput + 10 * TinyPricesApp.PlainOutput) / Million, row.Cost);
        await using var db = gateway.App.OpenDb();
        var plain = await db.Prices.AsNoTracking().SingleAsync(p => p.UpstreamModel == "tiny-plain-model");
        Assert.Equal((TinyPricesApp.PlainInput, 0.25m), (plain.CachedInputPerMillion, plain.CacheWriteInputPerMillion));
        var claude = await db.Prices.AsNoTracking().SingleAsync(p => p.UpstreamModel == "tiny-claude-model");
        Assert.Equal((TinyPricesApp.ClaudeCached, TinyPricesApp.ClaudeCacheWriteDefault), (claude.CachedInputPerMillion, claude.CacheWriteInputPerMillion));
    }

    [Fact]
    public async Task The_price_book_refuses_negative_or_too_fine_prices_and_fills_the_defaults_it_is_not_given()
    {
        await gateway.App.WithScopeAsync(async sp =>
        {
            var book = sp.GetRequiredService<PriceBookService>();
            await using var db = gateway.App.OpenDb();
            var provider = await db.Providers.AsNoTracking().Where(p => p.Name == "fake-openai").Select(p => p.Id).SingleAsync();
            var model = $"priced-{Guid.NewGuid():N}";

            var negative = await book.AddAsync(Actor.CommandLine, new PriceForm { ProviderId = provider, UpstreamModel = model, InputPerMillion = 1m, CachedInputPerMillion = -0.5m, OutputPerMillion = 2m });
            var tooFine = await book.AddAsync(Actor.CommandLine, new PriceForm { ProviderId = provider, UpstreamModel = model, InputPerMillion = 0.0000001m, OutputPerMillion = 2m });
            var negativeWrite = await book.AddAsync(Actor.CommandLine, new PriceForm { ProviderId = provider, UpstreamModel = model, InputPerMillion = 1m, CacheWriteInputPerMillion = -1m, OutputPerMillion = 2m });
            var defaults = await book.AddAsync(Actor.CommandLine, new PriceForm { ProviderId = provider, UpstreamModel = model, InputPerMillion = 0.000001m, OutputPerMillion = 2m });

            Assert.Equal("Cached input: A price cannot be negative.", negative.Error);
            Assert.Equal("Input: A price has at most 6 decimals (0.000001 USD per million tokens).", tooFine.Error);
            Assert.Equal("Cache write: A price cannot be negative.", negativeWrite.Error);
            Assert.True(defaults.Succeeded, defaults.Error);
            Assert.Equal((0.000001m, 0.000002m), (defaults.Value!.CachedInputPerMillion, defaults.Value.CacheWriteInputPerMillion));
            Assert.Equal(1, await db.Prices.CountAsync(p => p.UpstreamModel == model));
            return true;
        });
    }

    private async Task<List<CallRecord>> RowsAsync(Guid teamId, int count)
    {
        for (var i = 0; i < 600; i++)
        {
            await using var db = gateway.App.OpenDb();
            var rows = await db.Calls.AsNoTracking().Where(c => c.TeamId == teamId).ToListAsync();
            if (rows.Count >= count) return rows;
            await Task.Delay(50);
        }
        throw new TimeoutException($"fewer than {count} call rows after 30 s");
    }
}

public sealed class ExactMoneyTests_on_Sqlite(SqliteTinyPricesApp g) : ExactMoneyTests<SqliteTinyPricesApp>(g), IClassFixture<SqliteTinyPricesApp>;

public sealed class ExactMoneyTests_on_Postgres(PostgresTinyPricesApp g) : ExactMoneyTests<PostgresTinyPricesApp>(g), IClassFixture<PostgresTinyPricesApp>;
