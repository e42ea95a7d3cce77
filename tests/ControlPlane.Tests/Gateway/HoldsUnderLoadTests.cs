using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Text.Json;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Gateway.FakeUpstream;
using ControlPlane.Tests.Wallets;
using Microsoft.EntityFrameworkCore;
using Microsoft.ML.Tokenizers;
using OpenAI;
using OpenAI.Chat;

namespace ControlPlane.Tests.Gateway;

/// <summary>
/// Issue 8's scene, replayed: hundreds of concurrent calls (half streaming, no max_tokens, some with n) from the
/// official .NET and npm OpenAI clients against providers that bill more input than chars/4 (the real tokenizer's
/// count for the OpenAI model, every UTF-8 byte elsewhere), honour n, and would run long without a cap. Holds are
/// upper bounds, so the wallet still ends within its limit, every refusal is a 402 and each served call is charged once.
/// </summary>
public abstract class HoldsUnderLoadTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    /// <summary>Texts a chars/4 estimate undercounts: accents, CJK, emoji, digits.</summary>
    private static readonly string[] Prompts =
    [
        "Zähle die Äpfel: äöü ß — déjà vu, naïve café.",
        "東京の天気はどうですか？詳しく説明してください。",
        "🙂🚀🔥👍🏽 emoji all the way down 🧪🧬🛰️",
        "0123456789 9876543210 3.14159265358979 2.71828",
        "Plain English, to keep some calls cheap and ordinary.",
        "Ελληνικά και русский текст и עברית وعربي",
    ];

    private static readonly Tokenizer O200k = TiktokenTokenizer.CreateForEncoding("o200k_base");

    /// <summary>What OpenAI bills for gpt-4o-mini: the real o200k count plus its framing (within the gateway's bound).</summary>
    private static readonly FakeInputBilling OpenAIBilling = new("o200k + framing", t => O200k.CountTokens(t) + 10);

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    protected TApp Fixture => gateway;

    /// <summary>Providers that bill more than the gateway estimates, honour n, and run long unless capped.</summary>
    protected void ScriptGreedyProviders()
    {
        var greedy = new FakeReply { Text = "a long answer", Chunks = 3, Usage = new(0, 0, 1_000_000), Cap = FakeCapRule.Honour, HonourN = true };
        gateway.Upstream.Always(greedy with { BillInput = OpenAIBilling }, FakeProvider.OpenAI);
        gateway.Upstream.Always(greedy with { BillInput = FakeInputBilling.Utf8Bytes }, FakeProvider.Anthropic);
        gateway.Upstream.Always(greedy with { BillInput = FakeInputBilling.Utf8Bytes }, FakeProvider.Gemini);
    }

    /// <summary>
    /// Call i: its alias (OpenAI-kind with the tokenizer bound, or byte-bound Anthropic and Gemini), stream, n, and a
    /// prompt of a few KB, so that input billed beyond an estimate would show in the wallet.
    /// </summary>
    protected static (string Alias, bool Stream, int N, string Prompt) PlanOf(int i) =>
        ((i % 4) switch { 0 or 1 => "gpt", 2 => "claude", _ => "gemini" }, i % 2 == 0, i % 5 == 0 ? 2 : 1,
            $"{string.Join(' ', Enumerable.Repeat(Prompts[i % Prompts.Length], 1 + i % 200))} #{i}");

    [Fact]
    public async Task Three_hundred_and_twenty_calls_from_two_clients_never_spend_over_the_limit_though_providers_bill_more_than_estimated()
    {
        ScriptGreedyProviders();
        const decimal limit = 2m; // a worst case is about 0.04 to 0.06 (twice the output with n = 2): about a third of the calls fit
        var (team, key) = await WalletWithKeyAsync("Greedy", limit);

        var statuses = await Task.WhenAll(DotnetAsync([(gateway.BaseUrl, key)], 160), NodeAsync(gateway.BaseUrl, key, 160, offset: 160));

        await AssertMoneyAsync(team, limit, [.. statuses[0], .. statuses[1]], [gateway.App]);
    }

    protected async Task<(Guid Team, string Key)> WalletWithKeyAsync(string prefix, decimal limit)
    {
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"{prefix}-{Guid.NewGuid():N}"[..20], limit);
        await using var db = gateway.App.OpenDb();
        var name = await db.Teams.Where(t => t.Id == team).Select(t => t.Name).SingleAsync();
        return (team, await gateway.CreateKeyAsync(name));
    }

    /// <summary>Calls 0..count-1 through the official .NET client, spread over the given nodes, all started at once.</summary>
    protected static async Task<int[]> DotnetAsync(IReadOnlyList<(Uri BaseUrl, string Key)> nodes, int count)
    {
        var clients = nodes.Select(n => new OpenAIClient(new ApiKeyCredential(n.Key), new OpenAIClientOptions
        {
            Endpoint = new Uri(n.BaseUrl, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromMinutes(2),
        })).ToArray();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, count).Select(async i =>
        {
            await go.Task;
            var (alias, stream, _, prompt) = PlanOf(i);
            var chat = clients[i % clients.Length].GetChatClient(alias);
            ChatMessage[] messages = [new SystemChatMessage("Answer at length."), new UserChatMessage(prompt)];
            try
            {
                if (!stream) return (await chat.CompleteChatAsync(messages)).GetRawResponse().Status;
                var updates = chat.CompleteChatStreamingAsync(messages);
                await foreach (var _ in updates) { }
                return 200;
            }
            catch (ClientResultException e)
            {
                return e.Status;
            }
        }).ToArray();
        go.SetResult();
        return await Task.WhenAll(calls);
    }

    /// <summary>Calls offset..offset+count-1 through the npm openai client (node/hammer.mjs), all started at once.</summary>
    protected static async Task<int[]> NodeAsync(Uri baseUrl, string key, int count, int offset)
    {
        var plan = Enumerable.Range(offset, count).Select(i => PlanOf(i)).Select(p => new { model = p.Alias, stream = p.Stream, n = p.N, prompt = p.Prompt });
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = NodeFolder(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "hammer.mjs" },
            Environment =
            {
                ["CONTROLPLANE_BASE_URL"] = baseUrl.ToString(),
                ["CONTROLPLANE_API_KEY"] = key,
            },
        };
        using var node = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        await node.StandardInput.WriteAsync(JsonSerializer.Serialize(plan));
        node.StandardInput.Close();
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await node.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException($"node hammer.mjs did not finish: {await stderr}");
        }
        var output = await stdout;
        Assert.True(node.ExitCode == 0, $"node hammer.mjs exited with {node.ExitCode}:\n{await stderr}\n{output}");
        var results = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last()).RootElement.GetProperty("results");
        return [.. results.EnumerateArray().Select(r => r.GetProperty("status").GetInt32())];
    }

    /// <summary>
    /// Spend within the limit, refusals all 402, every call a row, every served row charged exactly once (one
    /// spent-ledger line of its cost), the ledger balanced, no lease left, and the providers did bill more input
    /// than the old chars/4 estimate would have held for.
    /// </summary>
    protected async Task AssertMoneyAsync(Guid team, decimal limit, int[] statuses, IReadOnlyList<Infrastructure.AppFactory> nodes)
    {
        Assert.All(statuses, s => Assert.True(s is 200 or 402, $"unexpected {s}"));
        var served = statuses.Count(s => s == 200);
        Assert.InRange(served, 1, statuses.Length - 1);
        await WaitForRowsAsync(team, statuses.Length);
        foreach (var node in nodes) await WalletTestKit.ReturnLeasesAsync(node);

        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.True(wallet.Spent <= limit, $"spent {wallet.Spent} over the limit {limit}");
        Assert.Equal(0m, wallet.Leased);
        await using var db = gateway.App.OpenDb();
        var rows = await db.Calls.AsNoTracking().Where(c => c.TeamId == team)
            .Select(c => new { c.Id, c.Status, c.ErrorClass, c.Cost, c.InputTokens, c.OutputTokens, c.RequestBytes }).ToListAsync();
        Assert.Equal(statuses.Length, rows.Count);
        Assert.Equal(served, rows.Count(r => r.Status == 200));
        Assert.All(rows.Where(r => r.Status != 200), r => Assert.Equal((402, "budget_exhausted", 0m), (r.Status, r.ErrorClass, r.Cost)));
        var charges = await db.LedgerEntries.AsNoTracking().Where(e => e.WalletId == wallet.Id && e.Account == LedgerAccounts.Spent && e.CallId != null)
            .Select(e => new { e.CallId, e.Amount }).ToListAsync();
        foreach (var row in rows.Where(r => r.Status == 200))
        {
            Assert.True(row.Cost > 0m, $"call {row.Id} served at $0");
            Assert.Equal(row.Cost, Assert.Single(charges, c => c.CallId == row.Id).Amount);
        }
        Assert.Equal(rows.Sum(r => r.Cost), wallet.Spent);
        // The cap was sent and honoured: no served call billed more than the default allowance per answer.
        Assert.All(rows.Where(r => r.Status == 200), r => Assert.InRange(r.OutputTokens, 4096, 2 * 4096));
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    private Task WaitForRowsAsync(Guid teamId, int count) => WalletTestKit.WaitForRowsAsync(gateway, teamId, count);

    private static string NodeFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln")))
                return Path.Combine(dir.FullName, "tests", "ControlPlane.Tests", "Gateway", "Clients", "node");
        throw new InvalidOperationException($"No ControlPlane.sln above {AppContext.BaseDirectory}.");
    }
}

public sealed class HoldsUnderLoadTests_on_Sqlite(SqliteGatewayApp g) : HoldsUnderLoadTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class HoldsUnderLoadTests_on_Postgres(PostgresGatewayApp g) : HoldsUnderLoadTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>
{
    [Fact]
    public async Task Two_nodes_on_one_database_under_greedy_providers_never_spend_over_the_limit()
    {
        ScriptGreedyProviders();
        const decimal limit = 2m;
        var (team, key) = await WalletWithKeyAsync("GreedyTwo", limit);
        var (second, secondUrl) = Fixture.StartSecondNode();
        try
        {
            var statuses = await Task.WhenAll(
                DotnetAsync([(Fixture.BaseUrl, key), (secondUrl, key)], 160),
                NodeAsync(Fixture.BaseUrl, key, 80, offset: 160),
                NodeAsync(secondUrl, key, 80, offset: 240));

            await AssertMoneyAsync(team, limit, [.. statuses[0], .. statuses[1], .. statuses[2]], [Fixture.App, second]);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }
}
