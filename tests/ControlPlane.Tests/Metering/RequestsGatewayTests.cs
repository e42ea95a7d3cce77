using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Gateway.FakeUpstream;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;

namespace ControlPlane.Tests.Metering;

/// <summary>A call through the gateway shows in Requests (the page's API, signed in), with its filters, drawer data and CSV line.</summary>
public abstract class RequestsGatewayTests<TApp>(TApp gateway) where TApp : GatewayApp
{
    [Fact]
    public async Task A_call_through_the_gateway_shows_in_requests_and_in_its_csv()
    {
        var caller = $"requests-{Guid.NewGuid():N}"[..24];
        gateway.Upstream.Enqueue(new FakeReply { Text = "shown in requests", Chunks = 3, Usage = new(40, 0, 6) });
        using var api = gateway.Client(gateway.Key);
        api.DefaultRequestHeaders.Add("X-ControlPlane-Caller", caller);
        var response = await api.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"gpt","stream":true,"messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json"));
        await response.Content.ReadAsStringAsync();
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        var row = await gateway.CallAsync(requestId);

        // The app listens on a real socket here: a client with cookies of its own, as a browser.
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = gateway.BaseUrl };
        await browser.SignInAsync(DemoOrg.Adam);
        var page = JsonDocument.Parse(await browser.GetStringAsync($"/api/v1/calls?range=hour&caller={caller}&streamed=yes&outcome=success")).RootElement;
        var csv = Csv.Parse(await browser.GetStringAsync($"/calls/export.csv?range=hour&caller={caller}"));

        var shown = Assert.Single(page.GetProperty("rows").EnumerateArray());
        Assert.Equal(row.Id, shown.GetProperty("id").GetGuid());
        Assert.Equal(requestId, shown.GetProperty("requestId").GetString());
        Assert.Equal(40, shown.GetProperty("inputTokens").GetInt64());
        Assert.Equal(GatewayApp.ExpectedCost(40, 0, 6), shown.GetProperty("cost").GetDecimal());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next").ValueKind);
        Assert.Equal(2, csv.Count);
        Assert.Equal(requestId, csv[1][0]);

        // The same call is not there for an error filter, and the API needs a signed-in person.
        var errors = JsonDocument.Parse(await browser.GetStringAsync($"/api/v1/calls?range=hour&caller={caller}&outcome=errors")).RootElement;
        Assert.Empty(errors.GetProperty("rows").EnumerateArray());
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = gateway.BaseUrl };
        Assert.NotEqual(HttpStatusCode.OK, (await anonymous.GetAsync("/api/v1/calls")).StatusCode);
    }
}

public sealed class RequestsGatewayTests_on_Sqlite(SqliteGatewayApp g) : RequestsGatewayTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class RequestsGatewayTests_on_Postgres(PostgresGatewayApp g) : RequestsGatewayTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
