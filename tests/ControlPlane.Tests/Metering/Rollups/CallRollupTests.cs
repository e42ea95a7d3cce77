using System.Net;
using System.Text;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Metering.Rollups;

/// <summary>
/// The rollups kept by the batch writer under concurrent gateway calls (served, refused, several callers and models)
/// sum exactly the rows it wrote, at every grain; and rebuilding them from the rows gives the same table.
/// </summary>
public abstract class CallRollupTests<TApp>(TApp gateway) where TApp : GatewayApp
{
    private static async Task<HttpStatusCode[]> CallManyAsync(HttpClient client, int calls) =>
        await Task.WhenAll(Enumerable.Range(0, calls).Select(async i =>
        {
            // Every fifth call asks for a model with no price: refused, counted as an error.
            var model = i % 5 == 4 ? "unpriced" : i % 2 == 0 ? "gpt" : "azure-gpt";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent($$"""{"model":"{{model}}","max_tokens":50,"messages":[{"role":"user","content":"hi {{i}}"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add(GatewayCall.CallerHeader, $"caller-{i % 3}");
            using var response = await client.SendAsync(request);
            await response.Content.ReadAsStringAsync();
            return response.StatusCode;
        }));

    private async Task WaitForRowsAsync(Guid keyId, int count)
    {
        for (var attempt = 0; attempt < 400; attempt++)
        {
            await using var db = gateway.App.OpenDb();
            if (await db.Calls.Where(c => c.KeyId == keyId).SumAsync(c => c.Count) >= count) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"Fewer than {count} rows for the key after 20 s.");
    }

    private async Task<Guid> KeyIdAsync(string plaintext)
    {
        await using var db = gateway.App.OpenDb();
        var prefix = await db.ApiKeys.AsNoTracking().Select(k => k.Prefix).ToListAsync();
        var mine = prefix.Single(p => plaintext.StartsWith(p, StringComparison.Ordinal));
        return await db.ApiKeys.Where(k => k.Prefix == mine).Select(k => k.Id).SingleAsync();
    }

    [DatabaseFact]
    public async Task Rollups_written_with_concurrent_calls_sum_exactly_their_rows_at_every_grain()
    {
        var key = await gateway.CreateKeyAsync("Sales");
        var keyId = await KeyIdAsync(key);
        using var client = gateway.Client(key);

        var statuses = await CallManyAsync(client, 60);
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains(statuses, s => s != HttpStatusCode.OK);
        await WaitForRowsAsync(keyId, 60);

        await using var db = gateway.App.OpenDb();
        var rows = await db.Calls.AsNoTracking().Where(c => c.KeyId == keyId).ToListAsync();
        foreach (var grain in RollupGrain.All)
        {
            var rollups = await db.CallRollups.AsNoTracking().Where(r => r.KeyId == keyId && r.Grain == grain).ToListAsync();
            Assert.Equal(rows.Sum(r => (long)r.Count), rollups.Sum(r => r.Calls));
            Assert.Equal(rows.Where(RollupSums.IsError).Sum(r => (long)r.Count), rollups.Sum(r => r.Errors));
            Assert.Equal(rows.Sum(r => r.InputTokens), rollups.Sum(r => r.InputTokens));
            Assert.Equal(rows.Sum(r => r.OutputTokens), rollups.Sum(r => r.OutputTokens));
            Assert.Equal(rows.Sum(r => r.Cost), rollups.Sum(r => r.Cost));
            Assert.Equal(rows.Sum(r => (long)r.LatencyMs * r.Count), rollups.Sum(r => r.LatencyMs));
            Assert.Equal(rows.Sum(r => r.CachedInputTokens), rollups.Sum(r => r.CachedInputTokens));
            Assert.Equal(rows.Where(r => r.ErrorClass != null).Sum(r => (long)r.Count), rollups.Sum(r => r.Failed));
            Assert.Equal(rows.Count(r => r.Unpriced), rollups.Sum(r => r.Unpriced));
            Assert.All(rollups, r => Assert.Equal(RollupGrain.BucketOf(grain, r.Bucket), r.Bucket));
        }
        var byCaller = (await db.CallRollups.AsNoTracking().Where(r => r.KeyId == keyId && r.Grain == RollupGrain.Day).ToListAsync())
            .GroupBy(r => r.Caller).ToDictionary(g => g.Key, g => g.Sum(r => r.Calls));
        Assert.Equal(rows.GroupBy(r => r.Caller ?? "").ToDictionary(g => g.Key, g => g.Sum(r => (long)r.Count)), byCaller);
        Assert.True(rows.Sum(r => r.Cost) > 0);
    }

    [DatabaseFact]
    public async Task Rebuilding_from_the_rows_gives_the_table_the_writer_kept()
    {
        var key = await gateway.CreateKeyAsync("Research");
        var keyId = await KeyIdAsync(key);
        using var client = gateway.Client(key);
        await CallManyAsync(client, 25);
        await WaitForRowsAsync(keyId, 25);

        await using var db = gateway.App.OpenDb();
        var days = await db.Calls.AsNoTracking().Select(c => c.At).ToListAsync();
        var (from, to) = (days.Min(), days.Max().AddTicks(1));
        var before = await SnapshotAsync(from, to);

        await gateway.App.Services.GetRequiredService<CallRollups>().RebuildAsync(from, to);

        var after = await SnapshotAsync(from, to);
        Assert.Equal(before.Count, after.Count);
        Assert.Equal(before, after);
        Assert.Contains(after, r => r.StartsWith($"{RollupGrain.Minute}|", StringComparison.Ordinal));
    }

    private async Task<List<string>> SnapshotAsync(DateTime from, DateTime to)
    {
        await using var db = gateway.App.OpenDb();
        var (first, end) = (from.Date, to.Date.AddDays(1));
        return [.. (await db.CallRollups.AsNoTracking().Where(r => r.Bucket >= first && r.Bucket < end).ToListAsync())
            .Select(r => $"{r.Grain}|{r.Bucket:O}|{r.Dims}|{r.TeamId}|{r.KeyId}|{r.Model}|{r.Provider}|{r.Caller}|{r.Calls}|{r.Errors}|{r.InputTokens}|{r.OutputTokens}|{r.Cost:0.############}|{r.LatencyMs}|{r.CachedInputTokens}|{r.Failed}|{r.Unpriced}")
            .Order(StringComparer.Ordinal)];
    }
}

public sealed class CallRollupTests_on_Sqlite(SqliteGatewayApp g) : CallRollupTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class CallRollupTests_on_Postgres(PostgresGatewayApp g) : CallRollupTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;

[RequiresSqlServer]
public sealed class CallRollupTests_on_SqlServer(SqlServerGatewayApp g) : CallRollupTests<SqlServerGatewayApp>(g), IClassFixture<SqlServerGatewayApp>;
