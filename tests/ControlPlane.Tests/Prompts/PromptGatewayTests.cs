using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Prompts;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.EntityFrameworkCore;
using OpenAI;
using OpenAI.Chat;
using static ControlPlane.Tests.Prompts.PromptKit;

namespace ControlPlane.Tests.Prompts;

/// <summary>Prompts served by the gateway: resolved at call time, rendered, refused clearly, recorded and measured per version.</summary>
public abstract class PromptGatewayTests<TApp>(TApp gateway) where TApp : GatewayApp
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Body(string name, string? label = "production", string variables = "{}", string extra = "") =>
        $$"""{"model":"gpt","messages":[{"role":"user","content":"caller's own"}],"prompt":{"name":"{{name}}"{{(label is null ? "" : $",\"label\":\"{label}\"")}},"variables":{{variables}}}{{extra}}}""";

    [Fact]
    public async Task The_label_is_resolved_at_the_moment_of_each_call()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var prompt = await CreateAsync(gateway, Leo, Version($"alpha-{tag} for {{{{who}}}}"));
        var v1 = (await UseAsync<PromptQueries, PromptDetail?>(gateway, Leo, (q, a) => q.FindAsync(a, prompt.Id)))!.Versions.Single();
        var v2 = await AddVersionAsync(gateway, Leo, prompt.Id, Version($"beta-{tag} for {{{{who}}}}"));
        Assert.True((await MoveAsync(gateway, Leo, prompt.Id, PromptLabel.Production, v1.Id)).Succeeded);
        using var client = gateway.Client(gateway.Key);

        var first = await client.PostAsync("/v1/chat/completions", Json(Body(prompt.Name, variables: """{"who":"Ann"}""")));
        Assert.True((await MoveAsync(gateway, Leo, prompt.Id, PromptLabel.Production, v2.Id)).Succeeded);
        var second = await client.PostAsync("/v1/chat/completions", Json(Body(prompt.Name, variables: """{"who":"Bob"}""")));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        var sent = gateway.Upstream.Requests.Where(r => r.Body.Contains(tag, StringComparison.Ordinal)).Select(r => r.Json()).ToList();
        Assert.Equal(2, sent.Count);
        Assert.Equal($"alpha-{tag} for Ann", sent[0]["messages"]![0]!["content"]!.GetValue<string>());
        Assert.Equal($"beta-{tag} for Bob", sent[1]["messages"]![0]!["content"]!.GetValue<string>());
        Assert.Equal("caller's own", sent[1]["messages"]![1]!["content"]!.GetValue<string>());
        Assert.All(sent, s => Assert.False(s.AsObject().ContainsKey("prompt")));
        var rows = new[] { await gateway.CallAsync(RequestId(first)), await gateway.CallAsync(RequestId(second)) };
        Assert.Equal([(v1.Id, "production"), (v2.Id, "production")], rows.Select(r => (r.PromptVersionId!.Value, r.PromptLabel!)));
    }

    [Fact]
    public async Task A_missing_variable_is_a_400_that_names_it_and_nothing_goes_upstream()
    {
        var prompt = await CreateAsync(gateway, Leo, Version("Dear {{customer}}, about {{topic}}"));
        await MoveAsync(gateway, Leo, prompt.Id, PromptLabel.Production, await VersionIdAsync(prompt.Id, 1));
        var before = gateway.Upstream.Requests.Count;
        using var client = gateway.Client(gateway.Key);

        var response = await client.PostAsync("/v1/chat/completions", Json(Body(prompt.Name, variables: """{"topic":"billing"}""")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Contains("'customer'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("prompt.variables.customer", error.GetProperty("param").GetString());
        Assert.Equal(before, gateway.Upstream.Requests.Count);
        Assert.Equal("prompt_variable_missing", (await gateway.CallAsync(RequestId(response))).ErrorClass);
    }

    [Theory]
    [InlineData("no-such-prompt-anywhere", "production")]
    [InlineData(null, "canary")]
    [InlineData(null, "v99")]
    public async Task An_unknown_prompt_label_or_version_is_a_404(string? name, string label)
    {
        var prompt = await CreateAsync(gateway, Leo, Version("known"));
        using var client = gateway.Client(gateway.Key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json("""{"model":"gpt","messages":[{"role":"user","content":"hi"}]}""") };
        request.Headers.Add(PromptStep.Header, $"{name ?? prompt.Name}@{label}");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("prompt_not_found", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Another_teams_key_may_use_a_prompt_only_once_it_is_shared()
    {
        var prompt = await CreateAsync(gateway, Rita, Version("Research only"), team: "Research");
        await MoveAsync(gateway, Rita, prompt.Id, PromptLabel.Production, await VersionIdAsync(prompt.Id, 1));
        using var platform = gateway.Client(gateway.Key);

        var refused = await platform.PostAsync("/v1/chat/completions", Json(Body(prompt.Name)));
        Assert.True((await UseAsync<PromptService, ControlPlane.Infrastructure.Outcome<Prompt>>(gateway, Rita, (s, a) => s.UpdateSettingsAsync(a, prompt.Id, null, false, true))).Succeeded);
        var served = await platform.PostAsync("/v1/chat/completions", Json(Body(prompt.Name)));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        // A subteam's key uses its parent team's prompts: Search is under Platform.
        var platformPrompt = await CreateAsync(gateway, Leo, Version("Platform's"));
        await MoveAsync(gateway, Leo, platformPrompt.Id, PromptLabel.Production, await VersionIdAsync(platformPrompt.Id, 1));
        using var search = gateway.Client(await gateway.CreateKeyAsync("Search"));
        Assert.Equal(HttpStatusCode.OK, (await search.PostAsync("/v1/chat/completions", Json(Body(platformPrompt.Name)))).StatusCode);
    }

    [Fact]
    public async Task The_header_names_the_prompt_and_the_versions_model_and_parameters_fill_what_the_caller_left_out()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var prompt = await CreateAsync(gateway, Leo, Version($"system-{tag}", model: "gpt", parameters: """{"temperature":0.25,"top_p":0.5}"""));
        await MoveAsync(gateway, Leo, prompt.Id, PromptLabel.Staging, await VersionIdAsync(prompt.Id, 1));
        using var client = gateway.Client(gateway.Key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json("""{"messages":[{"role":"user","content":"own question"}],"top_p":0.9}"""),
        };
        request.Headers.Add(PromptStep.Header, $"{prompt.Name}@staging");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = gateway.Upstream.Requests.Last(r => r.Body.Contains(tag, StringComparison.Ordinal)).Json();
        Assert.Equal(GatewayApp.Aliases["gpt"].Model, sent["model"]!.GetValue<string>());
        Assert.Equal([$"system-{tag}", "own question"], sent["messages"]!.AsArray().Select(m => m!["content"]!.GetValue<string>()));
        Assert.Equal(0.25, sent["temperature"]!.GetValue<double>());
        Assert.Equal(0.9, sent["top_p"]!.GetValue<double>());
        Assert.Equal("staging", (await gateway.CallAsync(RequestId(response))).PromptLabel);
    }

    [Fact]
    public async Task Metrics_per_version_come_from_real_calls_made_with_the_official_OpenAI_client()
    {
        var prompt = await CreateAsync(gateway, Leo, Version("You greet {{name}}."));
        var v1 = await VersionIdAsync(prompt.Id, 1);
        var v2 = await AddVersionAsync(gateway, Leo, prompt.Id, Version("You greet {{name}} warmly."));
        await MoveAsync(gateway, Leo, prompt.Id, PromptLabel.Production, v1);
        var chat = new OpenAIClient(new ApiKeyCredential(gateway.Key), new OpenAIClientOptions
        {
            Endpoint = new Uri(gateway.BaseUrl, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        }).GetChatClient("gpt");

        gateway.Upstream.Enqueue(new FakeReply { Text = "Hello Ann", Usage = new(100, 0, 10) }, new FakeReply { Text = "Hello Bob", Usage = new(100, 0, 10) });
        await CallAsync("Ann");
        await CallAsync("Bob");
        await MoveAsync(gateway, Leo, prompt.Id, PromptLabel.Production, v2.Id);
        gateway.Upstream.Enqueue(new FakeReply { Text = "Hello Cy, warmly", Usage = new(200, 0, 30) });
        var last = await CallAsync("Cy");
        Assert.Equal("Hello Cy, warmly", last.Content.Single().Text);

        // The rows land through the batch writer: wait for all three.
        IReadOnlyList<VersionMetrics> metrics = [];
        for (var i = 0; i < 200 && metrics.Sum(m => m.Calls) < 3; i++)
        {
            await Task.Delay(50);
            metrics = await UseAsync<PromptQueries, IReadOnlyList<VersionMetrics>>(gateway, Mia, (q, a) => q.MetricsAsync(a, prompt.Id));
        }
        var (m1, m2) = (metrics.Single(m => m.Number == 1), metrics.Single(m => m.Number == 2));
        Assert.Equal((2L, 0L, 200L, 20L), (m1.Calls, m1.Errors, m1.InputTokens, m1.OutputTokens));
        Assert.Equal(GatewayApp.ExpectedCost(100, 0, 10), m1.CostPerCall);
        Assert.Equal((1L, GatewayApp.ExpectedCost(200, 0, 30)), (m2.Calls, m2.Cost));
        Assert.Null(m2.FeedbackScore);

        // Callers rate two of v1's calls (a thumbs down counts as 0): v1's score is their mean, v2 stays unrated.
        var rated = await RatedAsync(prompt.Id, v1);
        Assert.Equal(0.45, rated.Single(m => m.Number == 1).FeedbackScore!.Value, precision: 6);
        Assert.Equal((2L, 0L), (rated.Single(m => m.Number == 1).Rated, rated.Single(m => m.Number == 2).Rated));
        Assert.Null(rated.Single(m => m.Number == 2).FeedbackScore);

        async Task<ChatCompletion> CallAsync(string name)
        {
#pragma warning disable SCME0001 // the SDK's way to send a field it does not model: the prompt reference
            var options = new ChatCompletionOptions();
            options.Patch.Set("$.prompt"u8, BinaryData.FromString($$$"""{"name":"{{{prompt.Name}}}","variables":{"name":"{{{name}}}"}}"""));
#pragma warning restore SCME0001
            ClientResult<ChatCompletion> result = await chat.CompleteChatAsync([new UserChatMessage($"hi from {name}")], options);
            return result.Value;
        }
    }

    private async Task<Guid> VersionIdAsync(Guid promptId, int number)
    {
        await using var db = gateway.App.OpenDb();
        return await db.PromptVersions.Where(v => v.PromptId == promptId && v.Number == number).Select(v => v.Id).SingleAsync();
    }

    /// <summary>Rates v1's two calls 0.9 and thumbs down through <c>POST /v1/feedback</c>; the metrics after.</summary>
    private async Task<IReadOnlyList<VersionMetrics>> RatedAsync(Guid promptId, Guid v1)
    {
        await using (var db = gateway.App.OpenDb())
        {
            var ids = await db.Calls.AsNoTracking().Where(c => c.PromptVersionId == v1).OrderBy(c => c.At).Select(c => c.Id).ToListAsync();
            string[] scores = ["0.9", "-1"];
            using var client = gateway.Client(gateway.Key);
            foreach (var (id, score) in ids.Zip(scores))
            {
                var rated = await client.PostAsync("/v1/feedback", Json($$"""{"request_id":"req_{{id:N}}","score":{{score}}}"""));
                Assert.Equal(HttpStatusCode.OK, rated.StatusCode);
            }
        }
        return await UseAsync<PromptQueries, IReadOnlyList<VersionMetrics>>(gateway, Mia, (q, a) => q.MetricsAsync(a, promptId));
    }

    private static string RequestId(HttpResponseMessage response) => response.Headers.GetValues("X-Request-Id").Single();
}

public sealed class PromptGatewayTests_on_Sqlite(SqliteGatewayApp g) : PromptGatewayTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class PromptGatewayTests_on_Postgres(PostgresGatewayApp g) : PromptGatewayTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
