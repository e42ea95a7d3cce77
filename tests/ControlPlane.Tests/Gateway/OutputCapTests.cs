using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Tests.Gateway.Clients;
using ControlPlane.Tests.Gateway.FakeUpstream;
using OpenAI;
using OpenAI.Chat;

namespace ControlPlane.Tests.Gateway;

/// <summary>
/// Through the real app and the official .NET OpenAI client: a call without an output cap reaches every provider
/// kind with the cap that was held (Gateway:DefaultMaxOutputTokens), and n multiplies the held output.
/// </summary>
public abstract class OutputCapTests<TApp> where TApp : GatewayApp
{
    private readonly TApp gateway;

    protected OutputCapTests(TApp gateway)
    {
        this.gateway = gateway;
        gateway.Upstream.Reset();
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task A_call_without_a_cap_reaches_the_provider_with_the_held_allowance_as_its_cap(string alias)
    {
        // A provider that would answer at length without a cap, and honours one when sent.
        gateway.Upstream.Always(new FakeReply { Text = "ok", Usage = new(10, 0, 1_000_000), Cap = FakeCapRule.Honour });
        var chat = new OpenAIClient(new ApiKeyCredential(gateway.Key), new OpenAIClientOptions
        {
            Endpoint = new Uri(gateway.BaseUrl, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        }).GetChatClient(alias);
        var prompt = $"cap-test-{alias}-{Guid.NewGuid():N}";

        var completion = (await chat.CompleteChatAsync([new UserChatMessage(prompt)])).Value;
        await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt + "-stream")])) { }

        var sent = gateway.Upstream.Requests.Where(r => r.Body.Contains(prompt, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, r => Assert.Equal(4096, r.OutputCap));
        Assert.Equal(4096, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task N_multiplies_the_output_part_of_the_worst_case_a_dry_run_shows()
    {
        using var client = gateway.Client(gateway.Key);

        async Task<JsonElement> DryRunAsync(string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-ControlPlane-Dry-Run", "true");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        var one = await DryRunAsync("""{"model":"gpt","messages":[{"role":"user","content":"Wie geht's? 🙂"}]}""");
        var eight = await DryRunAsync("""{"model":"gpt","n":8,"messages":[{"role":"user","content":"Wie geht's? 🙂"}]}""");

        static decimal Cost(JsonElement e) => decimal.Parse(e.GetProperty("worst_case_cost").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var input = one.GetProperty("input_tokens_bound").GetInt64();
        Assert.Equal(input, eight.GetProperty("input_tokens_bound").GetInt64());
        Assert.Equal((8, 4096L), (eight.GetProperty("choices").GetInt32(), eight.GetProperty("max_output_tokens").GetInt64()));
        Assert.Equal((input * GatewayApp.InputPrice + 4096 * GatewayApp.OutputPrice) / 1_000_000m, Cost(one));
        Assert.Equal((input * GatewayApp.InputPrice + 8 * 4096 * GatewayApp.OutputPrice) / 1_000_000m, Cost(eight));
    }
}

public sealed class OutputCapTests_on_Sqlite(SqliteGatewayApp g) : OutputCapTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class OutputCapTests_on_Postgres(PostgresGatewayApp g) : OutputCapTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
