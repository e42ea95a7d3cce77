using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Keys;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Cli;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Teams;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Keys;

/// <summary>
/// A key the gateway's snapshot has not seen (made by the command line or another node) is looked up in the database
/// on the call that presents it; an unknown key is remembered as unknown for a moment, so repeating it costs the
/// database almost nothing. The snapshot's timer is set to an hour here, so only the lookup can have found a key.
/// </summary>
public abstract class KeyLookupTests<TApp>(TApp gateway) where TApp : GatewayApp
{
    private const string Hello = """{"model":"gpt","messages":[{"role":"user","content":"Hello"}]}""";

    private KeyRing Ring => gateway.App.Services.GetRequiredService<KeyRing>();

    private async Task<HttpResponseMessage> CallAsync(string key)
    {
        using var client = gateway.Client(key);
        return await client.PostAsync("/v1/chat/completions", new StringContent(Hello, Encoding.UTF8, "application/json"));
    }

    private static async Task<string?> CodeOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString();

    [Fact]
    public async Task A_key_made_by_the_command_line_answers_200_on_the_running_apps_very_next_call()
    {
        var created = await AppProcess.RunAsync(gateway.App.Database, "keys", "create", "--team", "Platform", "--name", DemoOrg.Unique("cli-now"));
        Assert.True(created.Exit == 0, created.Output);
        var key = Assert.Single(created.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), KeySecret.LooksLikeKey);
        Assert.False(Ring.TryFind(key, out _)); // made by another process: this node's snapshot has not seen it
        var lookups = Ring.DatabaseLookups;

        using var first = await CallAsync(key);
        using var second = await CallAsync(key);

        Assert.True(first.StatusCode == HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(lookups + 1, Ring.DatabaseLookups); // found once, then served from the snapshot
        Assert.True(Ring.TryFind(key, out var entry));
        Assert.Equal(await gateway.App.TeamIdAsync("Platform"), entry.TeamId);
    }

    [Fact]
    public async Task An_unknown_key_repeated_100_times_asks_the_database_at_most_twice()
    {
        var unknown = KeySecret.NewPlaintext();
        var lookups = Ring.DatabaseLookups;

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => CallAsync(unknown)));
        var sequential = new List<HttpResponseMessage>();
        for (var i = 0; i < 50; i++) sequential.Add(await CallAsync(unknown));

        foreach (var response in concurrent.Concat(sequential))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("invalid_api_key", await CodeOf(response));
            response.Dispose();
        }
        // One query for the first wave (concurrent misses share it); a second only if the 3 s memory lapsed meanwhile.
        Assert.InRange(Ring.DatabaseLookups - lookups, 1, 2);
    }

    [Fact]
    public async Task Revoked_and_expired_keys_the_snapshot_has_not_seen_are_still_refused()
    {
        var teamId = await gateway.App.TeamIdAsync("Platform");
        var revoked = KeySecret.NewPlaintext();
        var expired = KeySecret.NewPlaintext();
        await using (var db = gateway.App.OpenDb())
        {
            db.ApiKeys.Add(Row(revoked, k => { k.RevokedAt = DateTime.UtcNow.AddMinutes(-1); k.RevokedBy = "cli:test"; }));
            db.ApiKeys.Add(Row(expired, k => k.ExpiresAt = DateTime.UtcNow.AddMinutes(-1)));
            await db.SaveChangesAsync();
        }

        using var revokedCall = await CallAsync(revoked);
        using var expiredCall = await CallAsync(expired);

        Assert.Equal(HttpStatusCode.Unauthorized, revokedCall.StatusCode);
        Assert.Equal("revoked_api_key", await CodeOf(revokedCall));
        Assert.Equal(HttpStatusCode.Unauthorized, expiredCall.StatusCode);
        Assert.Equal("expired_api_key", await CodeOf(expiredCall));
        return;

        ApiKey Row(string plaintext, Action<ApiKey> change)
        {
            var key = new ApiKey
            {
                Id = Guid.NewGuid(), TeamId = teamId, Name = DemoOrg.Unique("unseen"), Prefix = KeySecret.PrefixOf(plaintext),
                Hash = KeySecret.HashOf(plaintext), CreatedAt = DateTime.UtcNow.AddDays(-1), CreatedBy = "cli:test",
            };
            change(key);
            return key;
        }
    }
}

/// <summary>The gateway app with the snapshot's timer out of the way (an hour).</summary>
public abstract class KeyLookupApp(DatabaseProvider provider) : GatewayApp(provider)
{
    protected override void AddSettings(IDictionary<string, string?> settings) => settings["Keys:RefreshSeconds"] = "3600";
}

public sealed class SqliteKeyLookupApp() : KeyLookupApp(DatabaseProvider.Sqlite);

public sealed class PostgresKeyLookupApp() : KeyLookupApp(DatabaseProvider.Postgres);

public sealed class KeyLookupTests_on_Sqlite(SqliteKeyLookupApp g) : KeyLookupTests<SqliteKeyLookupApp>(g), IClassFixture<SqliteKeyLookupApp>;

public sealed class KeyLookupTests_on_Postgres(PostgresKeyLookupApp g) : KeyLookupTests<PostgresKeyLookupApp>(g), IClassFixture<PostgresKeyLookupApp>;
