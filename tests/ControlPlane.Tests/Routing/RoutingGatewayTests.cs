using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Routing;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Gateway.Clients;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace ControlPlane.Tests.Routing;

/// <summary>
/// Routing through the real app in front of the fake upstream: the official OpenAI client served by a rule's target,
/// tags from the body, blocks and region locks refused over HTTP, the capability registry saved and audited, and the
/// explain box giving the very reason the gateway stored.
/// </summary>
public abstract class RoutingGatewayTests<TApp>(TApp gateway) : IAsyncLifetime where TApp : GatewayApp
{
    public async Task InitializeAsync()
    {
        gateway.Upstream.Reset();
        await ClearAsync();
    }

    public Task DisposeAsync() => ClearAsync();

    [Fact]
    public async Task The_official_OpenAI_client_is_served_by_the_target_of_the_rule_its_tags_match()
    {
        await AddRuleAsync(new RuleForm { Name = "batch→cheap", Tags = "batch", Kind = RuleActionKinds.Fallbacks, Targets = "fake-openai/cheap-model" });
        gateway.Upstream.Enqueue(new FakeReply { Text = "a cheap answer", Usage = new FakeUsage(100, 0, 10) });
        var ids = new RequestIds();
        var http = new HttpClient(ids);
        http.DefaultRequestHeaders.Add(RouteInput.TagsHeader, "nightly, batch");
        var client = new OpenAIClient(new ApiKeyCredential(gateway.Key), new OpenAIClientOptions
        {
            Endpoint = new Uri(gateway.BaseUrl, "v1"), Transport = new HttpClientPipelineTransport(http), RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

        var result = await client.GetChatClient("gpt").CompleteChatAsync([new UserChatMessage("routing-rule-batch")]);

        Assert.Equal("a cheap answer", Assert.Single(result.Value.Content).Text);
        Assert.Contains("cheap-model", ClientAssert.Sent(gateway, "routing-rule-batch").Body, StringComparison.Ordinal);
        var row = await gateway.CallAsync(ids.Single());
        Assert.Equal(("gpt", "fake-openai", "cheap-model"), (row.ModelRequested, row.ProviderName, row.ModelServed));
        Assert.Equal("rule 1 'batch→cheap' matched tags=batch; picked fake-openai/cheap-model", row.RouteReason);
    }

    [Fact]
    public async Task Tags_in_the_request_metadata_route_too_and_the_explain_box_gives_the_reason_the_gateway_stored()
    {
        await AddRuleAsync(new RuleForm { Name = "not-me", Callers = "someone-else", Kind = RuleActionKinds.Block, Message = "no" });
        await AddRuleAsync(new RuleForm { Name = "nightly", Tags = "nightly", Kind = RuleActionKinds.Fallbacks, Targets = "fake-openai/cheap-model\nfailover" });
        const string body = """{"model":"gpt","max_tokens":50,"metadata":{"tags":"nightly"},"messages":[{"role":"user","content":"routing-explain-me"}]}""";
        gateway.Upstream.Enqueue(new FakeReply { Text = "ok", Usage = new FakeUsage(20, 0, 5) });

        using var response = await gateway.Client(gateway.Key).PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("cheap-model", row.ModelServed);
        Assert.StartsWith("rule 2 'nightly' matched tags=nightly; picked fake-openai/cheap-model (", row.RouteReason, StringComparison.Ordinal);
        string prefix;
        await using (var db = gateway.App.OpenDb())
            prefix = await db.ApiKeys.Where(k => k.Id == row.KeyId).Select(k => k.Prefix).SingleAsync();

        var explained = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<RouteExplainer>().ExplainAsync(Actor.CommandLine, new ExplainForm { Request = body, KeyPrefix = prefix }));

        Assert.True(explained.Succeeded, explained.Error);
        Assert.Equal(row.RouteReason, explained.Value!.Reason);
        Assert.Equal(["no match (caller)", "matched"], explained.Value.Rules.Select(r => r.Verdict));
        Assert.Equal(1, explained.Value.Candidates[0].Order);
        Assert.Equal(("fake-openai", "cheap-model"), (explained.Value.Candidates[0].Provider, explained.Value.Candidates[0].Model));
    }

    [Fact]
    public async Task A_blocking_rule_refuses_the_call_in_the_callers_format_and_the_row_says_why()
    {
        await AddRuleAsync(new RuleForm { Name = "runaway", Callers = "runaway-bot", Kind = RuleActionKinds.Block, Message = "This caller is paused; ask #platform." });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-ControlPlane-Caller", "runaway-bot");

        using var response = await gateway.Client(gateway.Key).SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("Routing rule 1 'runaway' blocks this call: This caller is paused; ask #platform.", error.GetProperty("message").GetString());
        Assert.Equal("route_blocked", error.GetProperty("code").GetString());
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal((403, "route_blocked"), (row.Status, row.ErrorClass));
    }

    [Fact]
    public async Task A_region_lock_sends_calls_only_to_targets_in_the_region_and_refuses_the_rest_naming_it()
    {
        var provider = await ProviderIdAsync("fake-openai");
        var saved = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<CatalogueService>().SaveAsync(Actor.CommandLine, null, new ModelForm
        {
            Alias = "eu-gpt", Targets = [new TargetForm { ProviderId = provider, UpstreamModel = GatewayApp.Aliases["gpt"].Model, Region = "EU", ContextWindow = 64_000 }],
        }));
        Assert.True(saved.Succeeded, saved.Error);
        var refused = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<CatalogueService>().SaveAsync(Actor.CommandLine, null, new ModelForm
        {
            Alias = "bad-region", Targets = [new TargetForm { ProviderId = provider, UpstreamModel = "m", Region = "eu west!" }],
        }));
        Assert.Equal("A region is up to 32 letters, digits, '-' or '_' (such as eu, us, eu-west).", refused.Error);
        var target = gateway.App.Services.GetRequiredService<GatewayCatalog>().Current.Models["eu-gpt"].Targets.Single();
        Assert.Equal((64_000, "eu", true), (target.Capabilities.ContextWindow, target.Capabilities.Region, target.Capabilities.SelfHosted)); // 127.0.0.1: derived local
        await using (var db = gateway.App.OpenDb())
            Assert.True(await db.AuditEntries.AnyAsync(e => e.Target == "model:eu-gpt" && e.Details.Contains("[eu, 64000 ctx]")));

        var platform = await TeamIdAsync("Platform");
        var locked = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<RoutingService>().SetRegionLockAsync(Actor.CommandLine, platform, "eu"));
        Assert.True(locked.Succeeded, locked.Error);
        gateway.Upstream.Enqueue(new FakeReply { Text = "from the eu", Usage = new FakeUsage(10, 0, 5) });

        using var inRegion = await PostAsync("eu-gpt");
        using var outside = await PostAsync("gpt");

        Assert.Equal(HttpStatusCode.OK, inRegion.StatusCode);
        var served = await gateway.CallAsync(inRegion.Headers.GetValues("X-Request-Id").Single());
        Assert.EndsWith("; region lock eu (team 'Platform')", served.RouteReason, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
        var error = JsonDocument.Parse(await outside.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.StartsWith("Data residency: team 'Platform' is locked to region 'eu', and no target for 'gpt' is in 'eu'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("region_locked", error.GetProperty("code").GetString());
        Assert.Equal("residency_refused", (await gateway.CallAsync(outside.Headers.GetValues("X-Request-Id").Single())).ErrorClass);
    }

    private Task<HttpResponseMessage> PostAsync(string model) =>
        gateway.Client(gateway.Key).PostAsync("/v1/chat/completions",
            new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"residency"}]}""", Encoding.UTF8, "application/json"));

    private Task<RoutingRule> AddRuleAsync(RuleForm form) =>
        gateway.App.WithScopeAsync(async sp =>
        {
            var made = await sp.GetRequiredService<RoutingService>().SaveAsync(Actor.CommandLine, null, form);
            Assert.True(made.Succeeded, made.Error);
            return made.Value!;
        });

    private async Task<Guid> ProviderIdAsync(string name)
    {
        await using var db = gateway.App.OpenDb();
        return await db.Providers.Where(p => p.Name == name).Select(p => p.Id).SingleAsync();
    }

    private Task<Guid> TeamIdAsync(string name) =>
        gateway.App.WithScopeAsync(async sp => (await sp.GetRequiredService<TeamDirectory>().FindByNameAsync(name))!.Id);

    /// <summary>Each test starts with no rule, no lock and no test alias (the fixture is the class's own).</summary>
    private async Task ClearAsync()
    {
        await using (var db = gateway.App.OpenDb())
        {
            await db.RoutingRules.ExecuteDeleteAsync();
            await db.RegionLocks.ExecuteDeleteAsync();
            var aliases = await db.CatalogModels.Where(m => m.Alias == "eu-gpt").Select(m => m.Id).ToListAsync();
            await db.ModelTargets.Where(t => aliases.Contains(t.ModelId)).ExecuteDeleteAsync();
            await db.CatalogModels.Where(m => aliases.Contains(m.Id)).ExecuteDeleteAsync();
        }
        await gateway.App.Services.GetRequiredService<RoutingTable>().ReloadAsync();
        await gateway.App.Services.GetRequiredService<GatewayCatalog>().ReloadAsync();
    }
}

public sealed class RoutingGatewayTests_on_Sqlite(SqliteGatewayApp g) : RoutingGatewayTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class RoutingGatewayTests_on_Postgres(PostgresGatewayApp g) : RoutingGatewayTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;

/// <summary>Two app nodes on one PostgreSQL: a rule saved on one routes calls on the other within a second (LISTEN/NOTIFY).</summary>
public sealed class RoutingClusterTests(PostgresGatewayApp gateway) : IClassFixture<PostgresGatewayApp>
{
    [Fact]
    public async Task A_rule_saved_on_one_node_is_live_on_the_other_within_a_second()
    {
        var (node, baseUrl) = gateway.StartSecondNode();
        await using var _ = node;
        var other = node.Services.GetRequiredService<RoutingTable>();
        Assert.DoesNotContain(other.Current.Rules, r => r.Name == "cluster-cheap");

        var made = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<RoutingService>().SaveAsync(Actor.CommandLine, null,
            new RuleForm { Name = "cluster-cheap", Tags = "cluster", Kind = RuleActionKinds.Fallbacks, Targets = "fake-openai/cheap-model" }));
        Assert.True(made.Succeeded, made.Error);
        var clock = Stopwatch.StartNew(); // saved, committed and published: from here the other node must follow
        while (!other.Current.Rules.Any(r => r.Name == "cluster-cheap") && clock.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(20);
        var swapped = clock.Elapsed;

        Assert.True(swapped < TimeSpan.FromSeconds(1), $"the second node swapped its rules after {swapped.TotalMilliseconds:0} ms");
        gateway.Upstream.Enqueue(new FakeReply { Text = "node two", Usage = new FakeUsage(10, 0, 5) });
        using var client = new HttpClient { BaseAddress = baseUrl };
        client.DefaultRequestHeaders.Authorization = new("Bearer", gateway.Key);
        client.DefaultRequestHeaders.Add(RouteInput.TagsHeader, "cluster");
        using var response = await client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt","messages":[{"role":"user","content":"cluster"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("cheap-model", (await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single())).ModelServed);

        await using var db = gateway.App.OpenDb();
        await db.RoutingRules.ExecuteDeleteAsync();
    }
}
