using ControlPlane.Features.Audit;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Audit;

/// <summary>
/// Forty writers at once through the services: every action must land, and the chain must stay contiguous and
/// intact (appends are serialized by a lock, so concurrent writers queue instead of colliding).
/// </summary>
public abstract class AuditConcurrencyTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private const int Writers = 40;

    private AppFactory App => fixture.App;

    private async Task<List<AuditEntry>> EntriesAsync()
    {
        await using var db = App.OpenDb();
        return await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync();
    }

    /// <summary>Runs <paramref name="action"/> on <see cref="Writers"/> tasks released at once; returns what each reports.</summary>
    private async Task<string?[]> AllAtOnceAsync(Func<IServiceProvider, int, Task<string?>> action)
    {
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            await using var scope = App.Services.CreateAsyncScope();
            await go.Task;
            try
            {
                return await action(scope.ServiceProvider, i);
            }
            catch (DbUpdateException e)
            {
                return $"{e.GetType().Name}: {e.InnerException?.Message ?? e.Message}";
            }
        })).ToList();
        go.SetResult();
        return await Task.WhenAll(tasks);
    }

    private static void AssertAllSucceeded(string?[] errors)
    {
        var failed = errors.Where(e => e is not null).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {errors.Length} writers failed; first: {failed.FirstOrDefault()}");
    }

    private static async Task AssertChainIntactAndContiguousAsync(AppFactory app, List<AuditEntry> after)
    {
        Assert.Equal(Enumerable.Range(1, after.Count).Select(i => (long)i), after.Select(e => e.Sequence));
        for (var i = 1; i < after.Count; i++) Assert.Equal(after[i - 1].Hash, after[i].PreviousHash);
        await using var db = app.OpenDb();
        Assert.Null(await app.FirstBadAuditEntryAsync(db));
    }

    [DatabaseFact]
    public async Task Forty_concurrent_team_creations_all_succeed_and_keep_the_chain_contiguous_and_intact()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var before = (await EntriesAsync()).Count;
        var tag = DemoOrg.Unique("Concurrent");

        var errors = await AllAtOnceAsync(async (sp, i) =>
            (await sp.GetRequiredService<TeamDirectory>().CreateAsync(admin, $"{tag}-{i:00}", null)).Error);

        var after = await EntriesAsync();
        await AssertChainIntactAndContiguousAsync(App, after);
        AssertAllSucceeded(errors);
        Assert.Equal(before + Writers, after.Count);
        Assert.Equal(Enumerable.Range(0, Writers).Select(i => $"{tag}-{i:00}"),
            after.Skip(before).Where(e => e.Action == "team.created").Select(e => e.Details).Order(StringComparer.Ordinal));
    }

    [DatabaseFact]
    public async Task Forty_concurrent_key_creations_and_revocations_all_succeed_and_keep_the_chain_intact()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var platform = await App.TeamIdAsync("Platform");
        var before = (await EntriesAsync()).Count;
        var tag = DemoOrg.Unique("concurrent-key");

        var errors = await AllAtOnceAsync(async (sp, i) =>
        {
            var keys = sp.GetRequiredService<KeyService>();
            var created = await keys.CreateAsync(admin, platform, $"{tag}-{i:00}", null);
            if (!created.Succeeded || i % 2 == 1) return created.Error;
            return (await keys.RevokeAsync(admin, created.Value!.Key.Id)).Error;
        });

        var after = await EntriesAsync();
        await AssertChainIntactAndContiguousAsync(App, after);
        AssertAllSucceeded(errors);
        Assert.Equal(before + Writers + Writers / 2, after.Count);
    }

    [DatabaseFact]
    public async Task Concurrent_creations_of_one_team_name_create_it_once_and_refuse_the_rest_with_a_message()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var name = DemoOrg.Unique("SameName");

        var errors = await AllAtOnceAsync(async (sp, _) =>
            (await sp.GetRequiredService<TeamDirectory>().CreateAsync(admin, name, null)).Error ?? "created");

        var refusal = $"A team named '{name}' already exists.";
        var unexpected = errors.Where(e => e != "created" && e != refusal).ToList();
        Assert.True(unexpected.Count == 0,
            $"{unexpected.Count} of {errors.Length} writers failed otherwise:\n{string.Join("\n", unexpected.Distinct())}");
        Assert.Single(errors, e => e == "created");
        await using var db = App.OpenDb();
        Assert.Equal(1, await db.Teams.CountAsync(t => t.Name == name));
    }
}

public sealed class AuditConcurrencyTests_on_Sqlite(SqliteApp f) : AuditConcurrencyTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class AuditConcurrencyTests_on_Postgres(PostgresApp f) : AuditConcurrencyTests<PostgresApp>(f), IClassFixture<PostgresApp>;

[RequiresSqlServer]
public sealed class AuditConcurrencyTests_on_SqlServer(SqlServerApp f) : AuditConcurrencyTests<SqlServerApp>(f), IClassFixture<SqlServerApp>;
