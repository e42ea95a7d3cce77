using System.Net;
using System.Text;
using ControlPlane.Features.Prompts;
using ControlPlane.Tests.Gateway;
using static ControlPlane.Tests.Prompts.PromptKit;

namespace ControlPlane.Tests.Prompts;

/// <summary>
/// Two nodes on one PostgreSQL: a label moved through one node is served by the other from its next calls on, carried by
/// the cluster bus (LISTEN/NOTIFY) well before the catalog's 30-second safety-net reload.
/// </summary>
public sealed class PromptClusterTests(PostgresGatewayApp gateway) : IClassFixture<PostgresGatewayApp>
{
    [Fact]
    public async Task A_label_moved_on_one_node_is_served_by_the_other_within_seconds()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var prompt = await CreateAsync(gateway, Leo, Version($"one-{tag}"));
        var v2 = await AddVersionAsync(gateway, Leo, prompt.Id, Version($"two-{tag}"));
        var v1 = (await UseAsync<PromptQueries, PromptDetail?>(gateway, Leo, (q, a) => q.FindAsync(a, prompt.Id)))!.Versions.Single(v => v.Number == 1);
        Assert.True((await MoveAsync(gateway, Leo, prompt.Id, PromptLabel.Production, v1.Id)).Succeeded);
        var (node, url) = gateway.StartSecondNode();
        await using var _ = node;
        using var client = new HttpClient { BaseAddress = url };
        client.DefaultRequestHeaders.Authorization = new("Bearer", gateway.Key);
        var body = $$$"""{"model":"gpt","messages":[{"role":"user","content":"{{{tag}}}"}],"prompt":{"name":"{{{prompt.Name}}}"}}""";

        Assert.Equal($"one-{tag}", await SentSystemAsync());
        Assert.True((await MoveAsync(gateway, Leo, prompt.Id, PromptLabel.Production, v2.Id)).Succeeded);

        var served = "";
        for (var i = 0; i < 100 && served != $"two-{tag}"; i++)
        {
            await Task.Delay(100);
            served = await SentSystemAsync();
        }
        Assert.Equal($"two-{tag}", served);

        async Task<string> SentSystemAsync()
        {
            var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return gateway.Upstream.Requests.Last(r => r.Body.Contains(tag, StringComparison.Ordinal)).Json()["messages"]![0]!["content"]!.GetValue<string>();
        }
    }
}
