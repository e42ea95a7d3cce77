using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Gateway.FakeUpstream;
using ControlPlane.Tests.Wallets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Gateway;

/// <summary>
/// Issue 8, point 2: every attempt whose request reached a provider is charged (at least its input), and an attempt
/// the provider may have billed is not paid for twice by a retry. Through the real gateway, the fake upstream, and
/// a team wallet whose ledger must agree with the call's row.
/// </summary>
public abstract class AttemptChargingTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_leaves_while_the_provider_works_is_charged_the_input(bool stream)
    {
        var (team, key) = await TeamAndKeyAsync(10m);
        gateway.Upstream.Enqueue(new FakeReply { FirstByteDelay = TimeSpan.FromSeconds(25) });
        var before = gateway.Upstream.Requests.Count;

        using (var client = gateway.Client(key))
        using (var leave = new CancellationTokenSource())
        {
            var call = client.PostAsync("/v1/chat/completions", Json($$"""{"model":"gpt","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Think hard about this"}]}"""), leave.Token);
            await UpstreamReceivedAsync(before + 1);
            await leave.CancelAsync(); // the provider has the whole request and is working on it
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        }

        var row = await RowOfKeyAsync(key);
        Assert.Equal((499, "client_disconnected", UsageSource.Estimated), (row.Status, row.ErrorClass, row.UsageSource));
        Assert.True(row.InputTokens > 0, "the input the provider received is charged");
        Assert.Equal(0, row.OutputTokens);
        Assert.Equal(GatewayApp.ExpectedCost(row.InputTokens, 0, 0), row.Cost);
        Assert.Equal(before + 1, gateway.Upstream.Requests.Count);
        await AssertWalletAgreesAsync(team, row);
    }

    [Fact]
    public async Task A_late_first_byte_is_not_retried_and_its_input_is_charged()
    {
        var (team, key) = await TeamAndKeyAsync(10m);
        var late = await ProviderAsync("late", firstByteSeconds: 1, maxRetries: 2, unansweredAttemptsFree: false);
        var alias = await AliasAsync("late", (late, "late-model"));
        gateway.Upstream.Enqueue(new FakeReply { FirstByteDelay = TimeSpan.FromSeconds(20) });
        var before = gateway.Upstream.Requests.Count;

        using var client = gateway.Client(key);
        using var response = await client.PostAsync("/v1/chat/completions", Json(Ask(alias)));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal(before + 1, gateway.Upstream.Requests.Count); // one attempt reached the provider: no paid retry
        var row = await RowOfKeyAsync(key);
        Assert.Equal((504, "upstream_timeout", UsageSource.Estimated, 0), (row.Status, row.ErrorClass, row.UsageSource, row.Retries));
        Assert.True(row.InputTokens > 0);
        Assert.Equal(GatewayApp.ExpectedCost(row.InputTokens, 0, 0), row.Cost);
        await AssertWalletAgreesAsync(team, row);
    }

    [Fact]
    public async Task A_connection_cut_after_the_request_was_sent_is_not_retried_and_its_input_is_charged()
    {
        var (team, key) = await TeamAndKeyAsync(10m);
        gateway.Upstream.Enqueue(new FakeReply { DropAfterRequest = true });
        var before = gateway.Upstream.Requests.Count;

        using var client = gateway.Client(key);
        using var response = await client.PostAsync("/v1/chat/completions", Json(Ask("gpt")));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(before + 1, gateway.Upstream.Requests.Count);
        var row = await RowOfKeyAsync(key);
        Assert.Equal((502, "upstream_unreachable", UsageSource.Estimated, 0), (row.Status, row.ErrorClass, row.UsageSource, row.Retries));
        Assert.Equal(GatewayApp.ExpectedCost(row.InputTokens, 0, 0), row.Cost);
        Assert.True(row.Cost > 0);
        await AssertWalletAgreesAsync(team, row);
    }

    [Fact]
    public async Task A_provider_configured_to_not_bill_unanswered_attempts_is_retried_and_charged_only_for_the_answer()
    {
        var (team, key) = await TeamAndKeyAsync(10m);
        var free = await ProviderAsync("free", firstByteSeconds: 1, maxRetries: 2, unansweredAttemptsFree: true);
        var alias = await AliasAsync("free", (free, "free-model"));
        gateway.Upstream.Enqueue(new FakeReply { FirstByteDelay = TimeSpan.FromSeconds(20) }, new FakeReply { Text = "at last", Usage = new(12, 0, 3) });
        var before = gateway.Upstream.Requests.Count;

        using var client = gateway.Client(key);
        using var response = await client.PostAsync("/v1/chat/completions", Json(Ask(alias)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before + 2, gateway.Upstream.Requests.Count);
        var row = await RowOfKeyAsync(key);
        Assert.Equal((200, 1, UsageSource.Provider), (row.Status, row.Retries, row.UsageSource));
        Assert.Equal(GatewayApp.ExpectedCost(12, 0, 3), row.Cost);
        await AssertWalletAgreesAsync(team, row);
    }

    [Fact]
    public async Task A_503_then_a_200_is_retried_and_charged_once_for_the_served_attempt()
    {
        var (team, key) = await TeamAndKeyAsync(10m);
        gateway.Upstream.Enqueue(FakeReply.Error(503, "busy"), new FakeReply { Text = "served", Usage = new(10, 0, 2) });
        var before = gateway.Upstream.Requests.Count;

        using var client = gateway.Client(key);
        using var response = await client.PostAsync("/v1/chat/completions", Json(Ask("gpt")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before + 2, gateway.Upstream.Requests.Count);
        var row = await RowOfKeyAsync(key);
        Assert.Equal((200, 1, UsageSource.Provider), (row.Status, row.Retries, row.UsageSource));
        Assert.Equal(GatewayApp.ExpectedCost(10, 0, 2), row.Cost); // the 503 was the provider's answer: free
        await AssertWalletAgreesAsync(team, row);
    }

    [Fact]
    public async Task After_a_charged_timeout_a_hold_that_cannot_be_topped_up_does_not_fail_over()
    {
        var late = await ProviderAsync("late-fo", firstByteSeconds: 1, maxRetries: 2, unansweredAttemptsFree: false);
        var alias = await AliasAsync("fo-tight", (late, "late-model"), (await ProviderIdAsync("fake-openai"), GatewayApp.Aliases["gpt"].Model));
        var body = Ask(alias, LongPrompt, maxTokens: 100);
        var (worstCase, charged) = await WorstCaseAndInputCostAsync(body);
        // Room for one worst case and half of what the timed-out attempt costs: not enough to try the next target.
        var limit = worstCase + charged / 2;
        var (team, key) = await TeamAndKeyAsync(limit);
        gateway.Upstream.Enqueue(new FakeReply { FirstByteDelay = TimeSpan.FromSeconds(20) }, new FakeReply { Text = "fallback", Usage = new(10, 0, 2) });
        var before = gateway.Upstream.Requests.Count;

        using var client = gateway.Client(key);
        using var response = await client.PostAsync("/v1/chat/completions", Json(body));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal(before + 1, gateway.Upstream.Requests.Count); // the fallback was never asked
        var row = await RowOfKeyAsync(key);
        Assert.Equal((504, "upstream_timeout", UsageSource.Estimated), (row.Status, row.ErrorClass, row.UsageSource));
        Assert.Equal(charged, row.Cost);
        Assert.DoesNotContain("failover", row.RouteReason, StringComparison.Ordinal);
        var wallet = await AssertWalletAgreesAsync(team, row);
        Assert.True(wallet.Spent <= limit, $"spent {wallet.Spent} over the limit {limit}");
    }

    [Fact]
    public async Task After_a_charged_timeout_a_hold_that_can_be_topped_up_fails_over_and_both_attempts_are_charged()
    {
        var late = await ProviderAsync("late-ok", firstByteSeconds: 1, maxRetries: 2, unansweredAttemptsFree: false);
        var alias = await AliasAsync("fo-roomy", (late, "late-model"), (await ProviderIdAsync("fake-openai"), GatewayApp.Aliases["gpt"].Model));
        var body = Ask(alias, LongPrompt, maxTokens: 100);
        var (_, charged) = await WorstCaseAndInputCostAsync(body);
        var (team, key) = await TeamAndKeyAsync(10m);
        gateway.Upstream.Enqueue(new FakeReply { FirstByteDelay = TimeSpan.FromSeconds(20) }, new FakeReply { Text = "fallback", Usage = new(10, 0, 2) });
        var before = gateway.Upstream.Requests.Count;

        using var client = gateway.Client(key);
        using var response = await client.PostAsync("/v1/chat/completions", Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before + 2, gateway.Upstream.Requests.Count);
        var row = await RowOfKeyAsync(key);
        Assert.Equal((200, "fake-openai"), (row.Status, row.ProviderName));
        Assert.Contains("failover", row.RouteReason, StringComparison.Ordinal);
        // The abandoned attempt's input (estimated) plus the served attempt as the provider reported it.
        Assert.Equal(charged + GatewayApp.ExpectedCost(10, 0, 2), row.Cost);
        Assert.Equal(UsageSource.Estimated, row.UsageSource);
        await AssertWalletAgreesAsync(team, row);
        // The top-up settled with its call: nothing stays counted in flight, so every lease comes back.
        await WalletTestKit.ReturnLeasesAsync(gateway.App);
        Assert.Equal(0m, (await WalletTestKit.WalletOfTeamAsync(gateway, team)).Leased);
    }

    private static readonly string LongPrompt = string.Concat(Enumerable.Repeat("Summarise the quarterly figures, please. ", 100));

    private static string Ask(string alias, string prompt = "Hello", int? maxTokens = null)
    {
        var body = new Dictionary<string, object> { ["model"] = alias, ["messages"] = new[] { new { role = "user", content = prompt } } };
        if (maxTokens is { } max) body["max_tokens"] = max;
        return JsonSerializer.Serialize(body);
    }

    /// <summary>The hold the call needs and what its input costs at the test price, as the gateway's dry run says.</summary>
    private async Task<(decimal WorstCase, decimal InputCost)> WorstCaseAndInputCostAsync(string body)
    {
        using var client = gateway.Client(gateway.Key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(body) };
        request.Headers.Add("X-ControlPlane-Dry-Run", "true");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var plan = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var worstCase = decimal.Parse(plan.GetProperty("worst_case_cost").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        return (worstCase, GatewayApp.ExpectedCost(plan.GetProperty("estimated_input_tokens").GetInt64(), 0, 0));
    }

    private async Task UpstreamReceivedAsync(int count)
    {
        for (var i = 0; i < 400 && gateway.Upstream.Requests.Count < count; i++) await Task.Delay(25);
        Assert.True(gateway.Upstream.Requests.Count >= count, "the provider never received the request");
    }

    /// <summary>A new team with a wallet of <paramref name="limit"/> USD, and a key of it.</summary>
    private async Task<(Guid Team, string Key)> TeamAndKeyAsync(decimal limit)
    {
        var name = $"Attempts-{Guid.NewGuid():N}"[..20];
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, name, limit);
        return (team, await gateway.CreateKeyAsync(name));
    }

    /// <summary>The only call of a key, once written.</summary>
    private async Task<CallRecord> RowOfKeyAsync(string key)
    {
        await using var db = gateway.App.OpenDb();
        var hash = KeySecret.HashOf(key);
        var keyId = await db.ApiKeys.Where(k => k.Hash == hash).Select(k => k.Id).SingleAsync();
        for (var i = 0; i < 400; i++)
        {
            await using var poll = gateway.App.OpenDb();
            if (await poll.Calls.AsNoTracking().SingleOrDefaultAsync(c => c.KeyId == keyId) is { } row) return row;
            await Task.Delay(50);
        }
        throw new TimeoutException("no call row for the key after 20 s");
    }

    /// <summary>The team's wallet was charged exactly the row's cost, by ledger entries of that call, and the ledger balances.</summary>
    private async Task<Wallet> AssertWalletAgreesAsync(Guid team, CallRecord row)
    {
        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(row.Cost, wallet.Spent);
        await using var db = gateway.App.OpenDb();
        var charged = await db.LedgerEntries.AsNoTracking()
            .Where(e => e.CallId == row.Id && e.WalletId == wallet.Id && e.Account == LedgerAccounts.Spent).Select(e => e.Amount).ToListAsync();
        Assert.Equal(row.Cost, charged.Sum());
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
        return wallet;
    }

    private async Task<Guid> ProviderIdAsync(string name)
    {
        await using var db = gateway.App.OpenDb();
        return await db.Providers.Where(p => p.Name == name).Select(p => p.Id).SingleAsync();
    }

    /// <summary>An OpenAI-kind provider at the fake upstream, as an admin would add it, priced like the others.</summary>
    private Task<Guid> ProviderAsync(string name, int firstByteSeconds, int maxRetries, bool unansweredAttemptsFree) =>
        gateway.App.WithScopeAsync(async sp =>
        {
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            var provider = new Provider
            {
                Id = Guid.NewGuid(), Name = $"{name}-{Guid.NewGuid():N}"[..30], Kind = ProviderKinds.OpenAI, BaseUrl = $"{gateway.Upstream.BaseUrl}/v1",
                EncryptedApiKey = sp.GetRequiredService<ProviderSecrets>().Protect(FakeUpstream.FakeUpstream.ApiKey),
                FirstByteTimeoutSeconds = firstByteSeconds, MaxRetries = maxRetries, UnansweredAttemptsFree = unansweredAttemptsFree,
                CreatedAt = now, UpdatedAt = now,
            };
            await using var db = gateway.App.OpenDb();
            db.Providers.Add(provider);
            await db.SaveChangesAsync();
            return provider.Id;
        });

    /// <summary>A chat alias served by the given targets in that order, each priced at the test prices.</summary>
    private Task<string> AliasAsync(string prefix, params (Guid Provider, string Model)[] targets) =>
        gateway.App.WithScopeAsync(async sp =>
        {
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            var alias = $"{prefix}-{Guid.NewGuid():N}"[..24];
            await using var db = gateway.App.OpenDb();
            var model = new CatalogModel { Id = Guid.NewGuid(), Alias = alias, Kind = ModelKinds.Chat, ContextWindow = 128_000, CreatedAt = now };
            db.CatalogModels.Add(model);
            for (var i = 0; i < targets.Length; i++)
            {
                var (provider, upstream) = targets[i];
                db.ModelTargets.Add(new ModelTarget { Id = Guid.NewGuid(), ModelId = model.Id, ProviderId = provider, UpstreamModel = upstream, Priority = i });
                if (await db.Prices.AnyAsync(p => p.ProviderId == provider && p.UpstreamModel == upstream)) continue;
                db.Prices.Add(new Price
                {
                    Id = Guid.NewGuid(), ProviderId = provider, UpstreamModel = upstream, EffectiveFrom = now.AddMinutes(-1),
                    InputPerMillion = GatewayApp.InputPrice, CachedInputPerMillion = GatewayApp.CachedPrice, OutputPerMillion = GatewayApp.OutputPrice,
                    CreatedAt = now, CreatedBy = "test",
                });
            }
            await db.SaveChangesAsync();
            await sp.GetRequiredService<GatewayCatalog>().ReloadAsync();
            return alias;
        });
}

public sealed class AttemptChargingTests_on_Sqlite(SqliteGatewayApp g) : AttemptChargingTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class AttemptChargingTests_on_Postgres(PostgresGatewayApp g) : AttemptChargingTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
