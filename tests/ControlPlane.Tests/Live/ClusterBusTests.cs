using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Live;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ControlPlane.Tests.Live;

/// <summary>
/// Two nodes of one deployment: two real app instances on one real PostgreSQL. Their periodic key refresh is set to a
/// day, so whatever reaches the other node within a test came through LISTEN/NOTIFY.
/// </summary>
public sealed class TwoNodesOnPostgres : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = default!;
    public AppFactory A { get; private set; } = default!;
    /// <summary>Node B serves on 127.0.0.1 at <see cref="BUrl"/>, for the SignalR client.</summary>
    public AppFactory B { get; private set; } = default!;
    public Uri BUrl { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreatePostgresAsync();
        var settings = new Dictionary<string, string?> { ["Keys:RefreshSeconds"] = "86400", ["Live:ReconnectMaxSeconds"] = "1" };
        A = new AppFactory(Database, settings: settings);
        _ = A.Server; // the first node migrates and seeds
        B = new AppFactory(Database, settings: settings);
        BUrl = B.ListenOnLoopback();
        await ListeningAsync(A);
        await ListeningAsync(B);
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
        await Database.DisposeAsync();
    }

    /// <summary>The backend pid of the node's listening connection, once PostgreSQL shows it listening; a pid other than <paramref name="not"/>.</summary>
    public async Task<int> ListeningAsync(AppFactory node, int? not = null)
    {
        var name = PostgresClusterChannel.ApplicationName(node.Services.GetRequiredService<ClusterNode>().Id);
        var pid = 0;
        await Until.TrueAsync(async () =>
        {
            await using var connection = new NpgsqlConnection(Database.ConnectionString);
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand(
                "SELECT pid FROM pg_stat_activity WHERE application_name = @name AND query LIKE 'LISTEN %' AND pid <> @not", connection);
            query.Parameters.AddWithValue("name", name);
            query.Parameters.AddWithValue("not", not ?? 0);
            pid = await query.ExecuteScalarAsync() is int found ? found : 0;
            return pid != 0;
        }, $"{name} listens on PostgreSQL");
        return pid;
    }

    public static EventBus Bus(AppFactory node) => node.Services.GetRequiredService<EventBus>();
}

/// <summary>Events that matter cluster-wide cross from one node to the other through PostgreSQL LISTEN/NOTIFY.</summary>
public sealed class ClusterBusTests(TwoNodesOnPostgres nodes) : IClassFixture<TwoNodesOnPostgres>
{
    private static readonly DateTime At = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task A_key_revoked_on_one_node_is_refused_on_the_other()
    {
        var created = await nodes.A.WithScopeAsync(async sp =>
        {
            var team = await sp.GetRequiredService<TeamDirectory>().FindByNameAsync("Platform");
            return (await sp.GetRequiredService<KeyService>().CreateAsync(Actor.CommandLine, team!.Id, "cross-node", null, null)).Value!;
        });
        using var onB = new HttpClient { BaseAddress = nodes.BUrl };
        onB.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Plaintext);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/v1/models")).StatusCode);

        var revoked = await nodes.A.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().RevokeAsync(Actor.CommandLine, created.Key.Id));
        Assert.True(revoked.Succeeded, revoked.Error);

        // Node B's own refresh waits a day: only the event from node A can bring the revocation.
        await Until.TrueAsync(async () => (await onB.GetAsync("/v1/models")).StatusCode == HttpStatusCode.Unauthorized,
            "node B refuses the key revoked on node A");
    }

    [Fact]
    public async Task A_spend_tick_on_one_node_reaches_a_subscriber_on_the_other_with_every_field()
    {
        var team = Guid.NewGuid();
        var received = new TaskCompletionSource<SpendTick>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = TwoNodesOnPostgres.Bus(nodes.B).Subscribe<SpendTick>(t => { if (t.TeamId == team) received.TrySetResult(t); });
        var sent = new SpendTick(team, Guid.NewGuid(), 7, 2, 0.0123456789m, At);

        TwoNodesOnPostgres.Bus(nodes.A).Publish(sent);

        Assert.Equal(sent, await Until.DoneAsync(received.Task, "node B hears node A's tick"));
    }

    [Fact]
    public async Task A_node_hears_the_other_nodes_events_but_not_its_own_echo()
    {
        var (first, second, fromB) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var onA = new ConcurrentQueue<Guid?>();
        var bHeardSecond = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aHeardB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var a = TwoNodesOnPostgres.Bus(nodes.A).Subscribe<SpendTick>(t =>
        {
            onA.Enqueue(t.TeamId);
            if (t.TeamId == fromB) aHeardB.TrySetResult();
        });
        using var b = TwoNodesOnPostgres.Bus(nodes.B).Subscribe<SpendTick>(t => { if (t.TeamId == second) bHeardSecond.TrySetResult(); });

        TwoNodesOnPostgres.Bus(nodes.A).Publish(Tick(first));
        TwoNodesOnPostgres.Bus(nodes.A).Publish(Tick(second));
        await Until.DoneAsync(bHeardSecond.Task, "node B hears node A's ticks");
        // Sent after node A's notifications were delivered, so node A's listener gets it after any echo of its own.
        TwoNodesOnPostgres.Bus(nodes.B).Publish(Tick(fromB));
        await Until.DoneAsync(aHeardB.Task, "node A hears node B's tick");

        Assert.Equal([first, second, fromB], onA.Where(id => id == first || id == second || id == fromB));
    }

    [Fact]
    public async Task The_listener_comes_back_after_its_connection_is_killed_and_reloads_what_it_may_have_missed()
    {
        var before = await nodes.ListeningAsync(nodes.B);
        var resynced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var keys = TwoNodesOnPostgres.Bus(nodes.B).Subscribe<KeysChanged>(_ => resynced.TrySetResult());

        await using (var admin = new NpgsqlConnection(nodes.Database.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(@pid)", admin);
            kill.Parameters.AddWithValue("pid", before);
            Assert.Equal(true, await kill.ExecuteScalarAsync());
        }

        var after = await nodes.ListeningAsync(nodes.B, not: before);
        Assert.NotEqual(before, after);
        // Events sent while it was away are gone: the node publishes KeysChanged to itself so its key ring reloads.
        await Until.DoneAsync(resynced.Task, "node B reloads its keys after listening again");
        var team = Guid.NewGuid();
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var ticks = TwoNodesOnPostgres.Bus(nodes.B).Subscribe<SpendTick>(t => { if (t.TeamId == team) heard.TrySetResult(); });
        TwoNodesOnPostgres.Bus(nodes.A).Publish(Tick(team));
        await Until.DoneAsync(heard.Task, "node B hears node A again");
    }

    [Fact]
    public async Task A_model_added_on_one_node_reloads_the_other_nodes_catalogue()
    {
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = TwoNodesOnPostgres.Bus(nodes.B).Subscribe<CatalogueChanged>(_ => heard.TrySetResult());
        var alias = $"cross-node-{Guid.NewGuid():N}"[..24];

        var saved = await nodes.A.WithScopeAsync(async sp =>
        {
            await using var db = nodes.A.OpenDb();
            var provider = await db.Providers.Select(p => p.Id).FirstAsync();
            return await sp.GetRequiredService<CatalogueService>().SaveAsync(Actor.CommandLine, null,
                new ModelForm { Alias = alias, Targets = [new TargetForm { ProviderId = provider, UpstreamModel = "upstream-model" }] });
        });
        Assert.True(saved.Succeeded, saved.Error);

        await Until.DoneAsync(heard.Task, "node B hears that node A's catalogue changed");
        await Until.TrueAsync(() => Task.FromResult(nodes.B.Services.GetRequiredService<GatewayCatalog>().Current.Models.ContainsKey(alias)),
            "node B's gateway knows the model added on node A");
    }

    [Fact]
    public async Task A_tick_on_one_node_reaches_a_signalr_client_of_the_other()
    {
        var cookie = await LoopbackApp.SessionCookieAsync(nodes.BUrl, "fiona.finance@acme.test");
        using var client = SpendHubClient.Start(nodes.BUrl, cookie, untilCalls: 901);
        Assert.Equal("scope", (await client.NextAsync()).GetProperty("event").GetString());

        var team = Guid.NewGuid();
        TwoNodesOnPostgres.Bus(nodes.A).Publish(new SpendTick(team, null, 901, 0, 2.5m, At));

        var line = await client.NextAsync();
        Assert.Equal("ticks", line.GetProperty("event").GetString());
        var tick = Assert.Single(line.GetProperty("ticks").EnumerateArray());
        Assert.Equal(team, tick.GetProperty("teamId").GetGuid());
        Assert.Equal(2.5m, tick.GetProperty("cost").GetDecimal());
    }

    private static SpendTick Tick(Guid team) => new(team, null, 1, 0, 0.5m, At);
}
