using System.Net;
using System.Text.Json;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Live;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Live;

/// <summary>The real app on Kestrel at 127.0.0.1 over the demo organisation, for clients of /hubs/spend.</summary>
public sealed class LoopbackApp : IAsyncLifetime
{
    public AppFactory App { get; private set; } = default!;
    public Uri BaseUrl { get; private set; } = default!;

    public Task InitializeAsync()
    {
        App = new AppFactory(TestDatabase.CreateSqlite());
        BaseUrl = App.ListenOnLoopback();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await App.Database.DisposeAsync();
    }

    /// <summary>The session cookie of a demo person, signed in through the dev sign-in form over real HTTP.</summary>
    public Task<string> SessionCookieAsync(string email) => SessionCookieAsync(BaseUrl, email);

    public static async Task<string> SessionCookieAsync(Uri baseUrl, string email)
    {
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = baseUrl };
        await client.SignInAsync(email);
        return cookies.GetCookieHeader(baseUrl);
    }

    public async Task<Guid> TeamAsync(string name) =>
        await App.WithScopeAsync(async sp => (await sp.GetRequiredService<TeamDirectory>().FindByNameAsync(name))!.Id);

    public async Task<Guid> KeyOfAsync(Guid teamId)
    {
        await using var db = App.OpenDb();
        return await db.ApiKeys.Where(k => k.TeamId == teamId).Select(k => k.Id).FirstAsync();
    }

    public void Publish(SpendTick tick) => App.Services.GetRequiredService<EventBus>().Publish(tick);
}

/// <summary>
/// /hubs/spend with the official SignalR JavaScript client: refused without a session, and each connection receives
/// the ticks its person may see on the pages. Ticks are told apart by their call count; the last one of each test is
/// in every scope under test and ends the script, and one connection receives in publishing order, so any tick of the
/// wrong scope would have arrived before it.
/// </summary>
public sealed class SpendHubTests(LoopbackApp app) : IClassFixture<LoopbackApp>
{
    private static readonly DateTime At = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task A_client_without_a_session_is_refused()
    {
        using var client = SpendHubClient.Start(app.BaseUrl, cookie: null, untilCalls: 1);

        var answer = await client.NextAsync();

        Assert.Equal("refused", answer.GetProperty("event").GetString());
        Assert.Contains("401", answer.GetProperty("message").GetString());
        using var http = new HttpClient { BaseAddress = app.BaseUrl };
        var negotiate = await http.PostAsync("/hubs/spend/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
    }

    [Fact]
    public async Task A_client_with_a_forged_session_cookie_is_refused()
    {
        using var client = SpendHubClient.Start(app.BaseUrl, "cp-session=not-a-session", untilCalls: 1);

        var answer = await client.NextAsync();

        Assert.Equal("refused", answer.GetProperty("event").GetString());
        Assert.Contains("401", answer.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_team_leads_connection_receives_only_the_ticks_of_their_teams_and_subteams()
    {
        var (engineering, search, research, sales) =
            (await app.TeamAsync("Engineering"), await app.TeamAsync("Search"), await app.TeamAsync("Research"), await app.TeamAsync("Sales"));
        using var client = SpendHubClient.Start(app.BaseUrl, await app.SessionCookieAsync("leo.lead@acme.test"), untilCalls: 104);

        var scope = await ScopeAsync(client);
        Assert.False(scope.GetProperty("everything").GetBoolean());
        app.Publish(Tick(research, 101));
        app.Publish(Tick(search, 102));
        app.Publish(Tick(sales, 103));
        app.Publish(Tick(null, 105));
        app.Publish(Tick(engineering, 104));

        var received = await TickCallsAsync(client);
        Assert.Equal([102, 104], received);
    }

    [Fact]
    public async Task An_admins_connection_receives_every_teams_ticks()
    {
        var (search, research, sales) = (await app.TeamAsync("Search"), await app.TeamAsync("Research"), await app.TeamAsync("Sales"));
        using var client = SpendHubClient.Start(app.BaseUrl, await app.SessionCookieAsync("adam.admin@acme.test"), untilCalls: 204);

        Assert.True((await ScopeAsync(client)).GetProperty("everything").GetBoolean());
        app.Publish(Tick(research, 201));
        app.Publish(Tick(search, 202));
        app.Publish(Tick(null, 203));
        app.Publish(Tick(sales, 204));

        var ticks = await NextTicksAsync(client);
        Assert.Equal([201, 202, 203, 204], ticks.Select(t => t.GetProperty("calls").GetInt32()));
        var last = ticks[^1];
        Assert.Equal(sales, last.GetProperty("teamId").GetGuid());
        Assert.Equal(1.25m, last.GetProperty("cost").GetDecimal());
        Assert.Equal(1, last.GetProperty("errors").GetInt32());
        Assert.Equal(At, last.GetProperty("at").GetDateTime().ToUniversalTime());
    }

    [Fact]
    public async Task A_members_connection_receives_only_the_ticks_of_their_teams_keys()
    {
        var (platform, research) = (await app.TeamAsync("Platform"), await app.TeamAsync("Research"));
        var (platformKey, researchKey) = (await app.KeyOfAsync(platform), await app.KeyOfAsync(research));
        using var client = SpendHubClient.Start(app.BaseUrl, await app.SessionCookieAsync("mia.member@acme.test"), untilCalls: 304);

        var scope = await ScopeAsync(client);
        Assert.Contains(platformKey, scope.GetProperty("keyIds").EnumerateArray().Select(k => k.GetGuid()));
        app.Publish(Tick(research, 301, researchKey));
        app.Publish(Tick(platform, 302)); // a call of the team without a key (refused before one was known)
        app.Publish(Tick(platform, 303, platformKey));
        app.Publish(Tick(platform, 304, platformKey));

        var received = await TickCallsAsync(client);
        Assert.Equal([303, 304], received);
    }

    private static SpendTick Tick(Guid? teamId, int calls, Guid? keyId = null) => new(teamId, keyId, calls, 1, 1.25m, At);

    private static async Task<JsonElement> ScopeAsync(SpendHubClient client)
    {
        var line = await client.NextAsync();
        Assert.Equal("scope", line.GetProperty("event").GetString());
        return line.GetProperty("scope");
    }

    private static async Task<List<JsonElement>> NextTicksAsync(SpendHubClient client)
    {
        var line = await client.NextAsync();
        Assert.Equal("ticks", line.GetProperty("event").GetString());
        return [.. line.GetProperty("ticks").EnumerateArray()];
    }

    private static async Task<int[]> TickCallsAsync(SpendHubClient client) =>
        [.. (await NextTicksAsync(client)).Select(t => t.GetProperty("calls").GetInt32())];
}
