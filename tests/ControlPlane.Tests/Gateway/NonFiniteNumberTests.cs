using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Tests.Gateway;

/// <summary>
/// JSON allows numbers no double can hold (1e999). A request with one is the caller's mistake: a 400 in the caller's
/// own error format naming the field, never a 500, and the provider is never asked.
/// </summary>
public abstract class NonFiniteNumberTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [MemberData(nameof(NonFiniteRequests.All), MemberType = typeof(NonFiniteRequests))]
    public async Task A_number_beyond_any_double_is_a_400_naming_the_field(string door, string model, string field)
    {
        using var client = gateway.Client(gateway.Key);
        var asked = gateway.Upstream.Requests.Count;
        foreach (var number in new[] { "1e999", "-1e999" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, door)
            {
                Content = new StringContent($$"""{"model":"{{model}}","max_tokens":20,"{{field}}":{{number}},"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("anthropic-version", "2023-06-01");
            var response = await client.SendAsync(request);

            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{door} {model} {field}={number}: {(int)response.StatusCode} {body}");
            using var json = JsonDocument.Parse(body);
            var error = json.RootElement.GetProperty("error");
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Contains(field, error.GetProperty("message").GetString(), StringComparison.Ordinal);
            if (door == "/v1/messages") Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
            var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
            Assert.Equal((400, "bad_request", UsageSource.None), (row.Status, row.ErrorClass, row.UsageSource));
        }
        Assert.Equal(asked, gateway.Upstream.Requests.Count);
    }
}

public static class NonFiniteRequests
{
    public static TheoryData<string, string, string> All => new()
    {
        // door, model (same-format and translated), field
        { "/v1/chat/completions", "gpt", "temperature" },
        { "/v1/chat/completions", "claude", "temperature" },
        { "/v1/chat/completions", "gemini", "top_p" },
        { "/v1/chat/completions", "gpt", "frequency_penalty" },
        { "/v1/chat/completions", "gpt", "presence_penalty" },
        { "/v1/messages", "claude", "temperature" },
        { "/v1/messages", "gpt", "top_p" },
        { "/v1/messages", "claude", "top_k" },
    };
}

public sealed class NonFiniteNumberTests_on_Sqlite(SqliteGatewayApp g) : NonFiniteNumberTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class NonFiniteNumberTests_on_Postgres(PostgresGatewayApp g) : NonFiniteNumberTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
