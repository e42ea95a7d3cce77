using System.Net;
using System.Net.Sockets;
using System.Text;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Wallets;
using Microsoft.EntityFrameworkCore;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// No row and no charge is ever dropped: text the database cannot store is cleaned before it is queued, a row the
/// database refuses does not take its neighbours or its charges along, and metering never stalls.
/// </summary>
public abstract class CallLogIntegrityTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The call's charge entries in the ledger: (wallet, amount) of the spent side.</summary>
    private async Task<List<decimal>> ChargesOfAsync(Guid callId)
    {
        await using var db = gateway.App.OpenDb();
        return await db.LedgerEntries.AsNoTracking()
            .Where(e => e.CallId == callId && e.Kind == LedgerKinds.Charge && e.Account == LedgerAccounts.Spent)
            .Select(e => e.Amount).ToListAsync();
    }

    private async Task<CallRecord> ServedAndChargedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal(200, row.Status);
        Assert.True(row.Cost > 0);
        var charges = await ChargesOfAsync(row.Id);
        Assert.NotEmpty(charges);
        Assert.All(charges, c => Assert.Equal(row.Cost, c));
        return row;
    }

    [Fact]
    public async Task Nul_and_broken_utf16_in_the_callers_text_are_cleaned_the_calls_charged_and_metering_goes_on()
    {
        using var client = gateway.Client(gateway.Key);

        // OpenAI's user field with a NUL and a lone surrogate (JSON escapes, as a client library sends them).
        var nul = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","user":"ann\u0000ie","messages":[{"role":"user","content":"hi\u0000there"}]}"""));
        Assert.Equal("ann\uFFFDie", (await ServedAndChargedAsync(nul)).EndUser);

        var surrogate = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","user":"bob\ud800","stream":true,"messages":[{"role":"user","content":"hi"}]}"""));
        var surrogateRow = await gateway.CallAsync(surrogate.Headers.GetValues("X-Request-Id").Single());
        Assert.True(CallText.IsClean(surrogateRow.EndUser), surrogateRow.EndUser);
        if (surrogate.StatusCode == HttpStatusCode.OK) await ServedAndChargedAsync(surrogate);

        // Anthropic's metadata.user_id through the Messages front door.
        using var messages = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = Json("""{"model":"claude","max_tokens":50,"metadata":{"user_id":"\u0000carol\u0000"},"messages":[{"role":"user","content":"hi"}]}"""),
        };
        messages.Headers.Add("anthropic-version", "2023-06-01");
        Assert.Equal("\uFFFDcarol\uFFFD", (await ServedAndChargedAsync(await client.SendAsync(messages))).EndUser);

        // A model name with a NUL is refused (no such alias), and its row is still written, cleaned.
        var model = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gp\u0000t","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.NotEqual(HttpStatusCode.OK, model.StatusCode);
        Assert.Equal("gp\uFFFDt", (await gateway.CallAsync(model.Headers.GetValues("X-Request-Id").Single())).ModelRequested);

        // The caller header carries a NUL byte and a UTF-8-encoded lone surrogate (ED A0 80): sent raw, as no client library would.
        foreach (var raw in new[] { "svc\0x"u8.ToArray(), [(byte)'s', 0xED, 0xA0, 0x80, (byte)'v'] })
        {
            var (status, requestId) = await RawPostAsync(raw, """{"model":"gpt","messages":[{"role":"user","content":"hi"}]}""");
            if (requestId is null)
            {
                Assert.Equal(400, status); // Kestrel refused the header itself: the gateway never saw the call
                continue;
            }
            var row = await gateway.CallAsync(requestId);
            Assert.True(CallText.IsClean(row.Caller), row.Caller);
            Assert.Equal(status, row.Status);
        }

        // Metering did not stall: a plain call made afterwards gets its row and its charge.
        await ServedAndChargedAsync(await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","messages":[{"role":"user","content":"after"}]}""")));
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    /// <summary>An HTTP/1.1 POST over a raw socket, so the header may hold bytes HttpClient refuses to send.</summary>
    private async Task<(int Status, string? RequestId)> RawPostAsync(byte[] callerHeaderValue, string body)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, gateway.BaseUrl.Port);
        await using var stream = tcp.GetStream();
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var head = new MemoryStream();
        head.Write(Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{gateway.BaseUrl.Port}\r\nAuthorization: Bearer {gateway.Key}\r\n" +
            $"Content-Type: application/json\r\nContent-Length: {bodyBytes.Length}\r\nConnection: close\r\n{ControlPlane.Features.Gateway.GatewayCall.CallerHeader}: "));
        head.Write(callerHeaderValue);
        head.Write("\r\n\r\n"u8);
        head.Write(bodyBytes);
        await stream.WriteAsync(head.ToArray());
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var answer = await reader.ReadToEndAsync();
        var status = int.Parse(answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var idLine = answer.Split("\r\n").FirstOrDefault(l => l.StartsWith("X-Request-Id:", StringComparison.OrdinalIgnoreCase));
        return (status, idLine?.Split(':', 2)[1].Trim());
    }

    [Fact]
    public async Task A_row_the_database_refuses_does_not_take_its_neighbours_or_its_charges_along()
    {
        // A private queue and writer over the app's database, so the whole batch is queued before the writer starts.
        var teamId = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Refused-{Guid.NewGuid():N}"[..20], limit: null);
        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, teamId);
        var taken = Guid.CreateVersion7();
        await using (var db = gateway.App.OpenDb())
        {
            db.CallPayloads.Add(new CallPayload { CallId = taken, Request = "{}", Response = "{}", ExpiresAt = DateTime.UtcNow.AddDays(1) });
            await db.SaveChangesAsync();
        }
        var log = ActivatorUtilities.CreateInstance<CallLog>(gateway.App.Services);
        var calls = Enumerable.Range(0, 9).Select(i => Call(teamId, wallet.Id, 0.001m * (i + 1))).ToList();
        // The fifth row's payload clashes with a payload already stored (a unique key): the database refuses that row for good.
        calls[4] = calls[4] with { Payload = new CallPayload { CallId = taken, Request = "{}", Response = "{}", ExpiresAt = DateTime.UtcNow.AddDays(1) } };
        foreach (var call in calls) await log.RecordAsync(call);

        var writer = ActivatorUtilities.CreateInstance<CallLogWriter>(gateway.App.Services, log);
        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None); // drains the queue

        await using var check = gateway.App.OpenDb();
        var ids = calls.Select(c => c.Record.Id).ToList();
        var rows = await check.Calls.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id);
        Assert.Equal(9, rows.Count);
        var refused = rows[calls[4].Record.Id];
        Assert.Equal(CallLogWriter.UnwritableMarker, refused.EndUser);
        Assert.Equal(calls[4].Record.Cost, refused.Cost);
        Assert.Equal(calls[4].Record.OutputTokens, refused.OutputTokens);
        foreach (var call in calls.Where((_, i) => i != 4)) Assert.Equal("someone", rows[call.Record.Id].EndUser);
        foreach (var call in calls) Assert.Equal([call.Record.Cost], await ChargesOfAsync(call.Record.Id));
        Assert.Equal(calls.Sum(c => c.Record.Cost), (await WalletTestKit.WalletOfTeamAsync(gateway, teamId)).Spent);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    /// <summary>A key of a new team (with the given limit), made before a second node starts so that node knows the key.</summary>
    private async Task<(string Key, Guid TeamId)> NewTeamKeyAsync(string prefix, decimal? limit)
    {
        var teamId = await WalletTestKit.TeamWithBudgetAsync(gateway, $"{prefix}-{Guid.NewGuid():N}"[..20], limit);
        await using var db = gateway.App.OpenDb();
        var name = await db.Teams.Where(t => t.Id == teamId).Select(t => t.Name).SingleAsync();
        return (await gateway.CreateKeyAsync(name), teamId);
    }

    [Fact]
    public async Task A_dead_writer_stops_new_holds_with_a_503_in_the_callers_format_and_ready_says_not_ready()
    {
        var (key, _) = await NewTeamKeyAsync("Dead", limit: null);
        await using var node = new AppFactory(gateway.App.Database, settings: gateway.Settings)
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<ICallBatchHook, BrokenHook>()));
        node.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        node.StartServer();
        var url = node.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(url) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ready")).StatusCode);

        // The first call is served; writing its row hits the bug and the writer's loop ends.
        var first = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var log = node.Services.GetRequiredService<CallLog>();
        for (var i = 0; i < 200 && log.IsWriting; i++) await Task.Delay(50);
        Assert.False(log.IsWriting);
        var asked = gateway.Upstream.Requests.Count;

        var refused = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        using (var error = System.Text.Json.JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
            Assert.Contains("cannot record calls", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        using var messages = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = Json("""{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""") };
        messages.Headers.Add("anthropic-version", "2023-06-01");
        var anthropic = await client.SendAsync(messages);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, anthropic.StatusCode);
        using (var error = System.Text.Json.JsonDocument.Parse(await anthropic.Content.ReadAsStringAsync()))
            Assert.Equal("error", error.RootElement.GetProperty("type").GetString()); // Anthropic's error shape
        Assert.Equal(asked, gateway.Upstream.Requests.Count); // refused before any provider was asked

        var ready = await client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("call_log", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>A bug in a batch hook: not a database failure, so it ends the writer's loop.</summary>
    private sealed class BrokenHook : ICallBatchHook
    {
        public Task<Action?> ApplyAsync(ControlPlane.Infrastructure.Data.ControlPlaneDb db, IReadOnlyList<MeteredCall> batch, CancellationToken ct) =>
            throw new NotSupportedException("a bug in a hook");
    }

    [Fact]
    public async Task Stopping_a_node_under_load_writes_every_answered_call_and_its_charge_before_its_leases_are_returned()
    {
        var (key, teamId) = await NewTeamKeyAsync("Stopped", limit: 100m);
        var (node, url) = gateway.StartSecondNode();
        var answered = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = url };
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var stream = (w + i) % 2 == 0 ? "true" : "false";
                    using var response = await client.PostAsync("/v1/chat/completions", Json($$"""{"model":"gpt","stream":{{stream}},"max_tokens":50,"messages":[{"role":"user","content":"hi {{i}}"}]}"""));
                    await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK) answered.Add(response.Headers.GetValues("X-Request-Id").Single());
                }
                catch (HttpRequestException)
                {
                    return; // the node is gone
                }
            }
        })).ToList();
        while (answered.Count < 60) await Task.Delay(20);

        await node.DisposeAsync(); // a graceful stop while calls are running
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        await using var db = gateway.App.OpenDb();
        var ids = answered.Select(r => Guid.ParseExact(r["req_".Length..], "N")).ToList();
        var rows = await db.Calls.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Cost);
        Assert.Equal(ids.Count, rows.Count);
        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, teamId);
        var charges = await db.LedgerEntries.AsNoTracking()
            .Where(e => e.WalletId == wallet.Id && e.Kind == LedgerKinds.Charge && e.Account == LedgerAccounts.Spent)
            .Select(e => new { CallId = e.CallId!.Value, e.Amount }).ToListAsync();
        // Each answered call charged to the team's wallet exactly once (its parents get their own line).
        Assert.All(ids, id => Assert.Equal([rows[id]], charges.Where(c => c.CallId == id).Select(c => c.Amount)));
        Assert.Equal(0m, wallet.Leased);
        var teamCosts = await db.Calls.AsNoTracking().Where(c => c.TeamId == teamId).Select(c => c.Cost).ToListAsync();
        Assert.Equal(teamCosts.Sum(), wallet.Spent);
        Assert.Empty(await db.BudgetLeases.AsNoTracking().Where(l => l.WalletId == wallet.Id && l.ReturnedAt == null).ToListAsync());
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    private static MeteredCall Call(Guid teamId, Guid walletId, decimal cost)
    {
        var id = Guid.CreateVersion7();
        var record = new CallRecord
        {
            Id = id, At = DateTime.UtcNow, TeamId = teamId, Endpoint = "chat", EndUser = "someone", ModelRequested = "gpt",
            Status = 200, InputTokens = 10, OutputTokens = 100, Cost = cost, UsageSource = UsageSource.Provider,
        };
        return new MeteredCall(record, null, [new WalletCharge(walletId, null, cost)]);
    }
}

public sealed class CallLogIntegrityTests_on_Sqlite(SqliteGatewayApp g) : CallLogIntegrityTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class CallLogIntegrityTests_on_Postgres(PostgresGatewayApp g) : CallLogIntegrityTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
