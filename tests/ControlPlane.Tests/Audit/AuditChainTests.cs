using ControlPlane.Features.Audit;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Audit;

/// <summary>The audit hash chain as the services build it, how it shows tampering, and how it holds under concurrent writers.</summary>
public abstract class AuditChainTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private static async Task<List<AuditEntry>> EntriesAsync(AppFactory app)
    {
        await using var db = app.OpenDb();
        return await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync();
    }

    private void AssertChained(List<AuditEntry> entries)
    {
        var keys = App.Services.GetRequiredService<AuditChainKeys>();
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.Sequence));
        var previous = AuditLog.GenesisHash;
        foreach (var e in entries)
        {
            Assert.Equal(previous, e.PreviousHash);
            Assert.Equal(keys.CurrentId, e.KeyId);
            Assert.Equal(AuditLog.CurrentHashVersion, e.HashVersion);
            Assert.Equal(AuditLog.HashOf(keys.Current, e), e.Hash);
            previous = e.Hash;
        }
    }

    /// <summary>A fresh app on its own new, demo-seeded database, for tests that damage the chain.</summary>
    private async Task<AppFactory> NewAppAsync()
    {
        var app = new AppFactory(await TestDatabase.CreateAsync(App.Database.Provider));
        _ = app.Server;
        return app;
    }

    private static async Task DisposeAsync(AppFactory app)
    {
        await app.DisposeAsync();
        await app.Database.DisposeAsync();
    }

    [Fact]
    public async Task Entries_appended_through_the_services_are_chained_from_the_genesis_hash()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var before = (await EntriesAsync(App)).Count;
        var team = await App.WithScopeAsync(sp => sp.GetRequiredService<TeamDirectory>().CreateAsync(admin, DemoOrg.Unique("Chained"), null));
        var teamId = team.Value!.Id;
        var sam = await App.UserIdAsync(DemoOrg.Sam);
        await App.WithScopeAsync(sp => sp.GetRequiredService<TeamDirectory>().AddMemberAsync(admin, teamId, sam, TeamRoles.Lead));
        var key = await App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().CreateAsync(admin, teamId, "chained", null));
        await App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().RevokeAsync(admin, key.Value!.Key.Id));

        var entries = await EntriesAsync(App);

        Assert.True(before >= 22, $"the demo data appends 22 entries; found {before}");
        Assert.Equal(before + 4, entries.Count);
        Assert.Equal(AuditLog.GenesisHash, entries[0].PreviousHash);
        AssertChained(entries);
        Assert.Equal(["team.created", "team.member_added", "key.created", "key.revoked"], entries.TakeLast(4).Select(e => e.Action));
        Assert.All(entries.TakeLast(4), e => Assert.Equal(DemoOrg.Adam, e.Actor));
        await using var db = App.OpenDb();
        Assert.Null(await App.FirstBadAuditEntryAsync(db));
    }

    [Fact]
    public async Task The_demo_data_fills_the_chain_through_the_services()
    {
        var entries = await EntriesAsync(App);

        var demo = entries.Where(e => e.Actor == "system:demo-data").ToList();
        Assert.Equal(6, demo.Count(e => e.Action == "team.created"));
        Assert.Equal(8, demo.Count(e => e.Action == "team.member_added"));
        Assert.Equal(7, demo.Count(e => e.Action == "key.created"));
        Assert.Equal(1, demo.Count(e => e.Action == "key.revoked"));
        Assert.Equal(Enumerable.Range(1, 22).Select(i => (long)i), demo.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Editing_an_entry_with_raw_SQL_breaks_the_chain_at_that_entry_and_restoring_it_mends_it()
    {
        var app = await NewAppAsync();
        try
        {
            await using var db = app.OpenDb();
            Assert.Null(await app.FirstBadAuditEntryAsync(db));
            var original = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Sequence == 7);

            await db.Database.ExecuteSqlRawAsync("UPDATE audit_entries SET details = 'x' WHERE sequence = 7");

            Assert.Equal(7, await app.FirstBadAuditEntryAsync(db));
            await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET details = {original.Details} WHERE sequence = 7");
            Assert.Null(await app.FirstBadAuditEntryAsync(db));
        }
        finally
        {
            await DisposeAsync(app);
        }
    }

    [Fact]
    public async Task Rehashing_an_edited_entry_without_the_chain_key_breaks_the_chain_at_that_entry()
    {
        var app = await NewAppAsync();
        try
        {
            await using var db = app.OpenDb();

            // Whoever can write the database but lacks the certificate can only make a plain SHA-256 hash.
            var e12 = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Sequence == 12);
            e12.Details = "forged";
            var forged = AuditLog.HashOf(null, e12);
            await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET details = 'forged', hash = {forged} WHERE sequence = 12");
            Assert.Equal(12, await app.FirstBadAuditEntryAsync(db));
            // Passing it off as an entry from before the chain was keyed does not work either.
            await db.Database.ExecuteSqlRawAsync("UPDATE audit_entries SET key_id = NULL WHERE sequence = 12");
            Assert.Equal(12, await app.FirstBadAuditEntryAsync(db));

            // Deleting an earlier entry breaks the chain at the one after it.
            await db.Database.ExecuteSqlRawAsync("DELETE FROM audit_entries WHERE sequence = 4");
            Assert.Equal(5, await app.FirstBadAuditEntryAsync(db));
        }
        finally
        {
            await DisposeAsync(app);
        }
    }

    [Fact]
    public async Task Rewriting_the_whole_chain_or_deleting_its_newest_entries_is_caught_by_the_exported_anchors()
    {
        var app = await NewAppAsync();
        try
        {
            await using var db = app.OpenDb();
            var anchors = app.Services.GetRequiredService<AuditAnchors>();
            var anchor = await anchors.AnchorHeadAsync();
            Assert.NotNull(anchor);
            Assert.Contains(await anchors.ReadAsync(), a => a.Sequence == anchor.Sequence && a.Hash == anchor.Hash);
            var intact = await app.Services.GetRequiredService<AuditLog>().VerifyAsync(db);
            Assert.True(intact.IsIntact, intact.Problem);
            Assert.True(intact.AnchorsChecked >= 1);

            // Truncation: the newest three entries go; the chain that is left is internally consistent.
            await db.Database.ExecuteSqlAsync($"DELETE FROM audit_entries WHERE sequence > {anchor.Sequence - 3}");
            var truncated = await app.Services.GetRequiredService<AuditLog>().VerifyAsync(db);
            Assert.Equal(anchor.Sequence, truncated.FirstBadSequence);
            Assert.Contains("deleted", truncated.Problem, StringComparison.Ordinal);

            // A chain rewritten end to end as plain SHA-256 (as if from before keying) is consistent but not the anchored one.
            var previous = AuditLog.GenesisHash;
            foreach (var e in await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync())
            {
                e.PreviousHash = previous;
                var hash = AuditLog.HashOf(null, e);
                await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET key_id = NULL, previous_hash = {previous}, hash = {hash} WHERE sequence = {e.Sequence}");
                previous = hash;
            }
            var rewritten = await app.Services.GetRequiredService<AuditLog>().VerifyAsync(db);
            Assert.False(rewritten.IsIntact);
        }
        finally
        {
            await DisposeAsync(app);
        }
    }

    [Fact]
    public async Task Rehashing_with_the_chain_key_itself_is_caught_by_an_anchor_taken_before()
    {
        var app = await NewAppAsync();
        try
        {
            await using var db = app.OpenDb();
            var anchor = (await app.Services.GetRequiredService<AuditAnchors>().AnchorHeadAsync())!;
            var key = app.Services.GetRequiredService<AuditChainKeys>().Current;

            // An insider with the certificate edits entry 10 and re-hashes everything after it with the real key.
            var previous = (await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Sequence == 9)).Hash;
            foreach (var e in await db.AuditEntries.AsNoTracking().Where(e => e.Sequence >= 10).OrderBy(e => e.Sequence).ToListAsync())
            {
                var details = e.Sequence == 10 ? "rewritten" : e.Details;
                e.Details = details;
                e.PreviousHash = previous;
                var hash = AuditLog.HashOf(key, e);
                await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET details = {details}, previous_hash = {previous}, hash = {hash} WHERE sequence = {e.Sequence}");
                previous = hash;
            }

            var verdict = await app.Services.GetRequiredService<AuditLog>().VerifyAsync(db);
            Assert.Equal(anchor.Sequence, verdict.FirstBadSequence);
            Assert.Contains("anchor", verdict.Problem, StringComparison.Ordinal);
        }
        finally
        {
            await DisposeAsync(app);
        }
    }

    [Fact]
    public async Task Five_concurrent_team_creations_all_succeed_and_keep_the_chain_contiguous_and_intact()
    {
        // Writers queue on the chain lock rather than collide; AuditConcurrencyTests takes forty at once.
        const int writers = 5;
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var before = await EntriesAsync(App);
        var tag = DemoOrg.Unique("Concurrent");
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var tasks = Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            await using var scope = App.Services.CreateAsyncScope();
            var teams = scope.ServiceProvider.GetRequiredService<TeamDirectory>();
            await go.Task;
            return await teams.CreateAsync(admin, $"{tag}-{i:00}", null);
        })).ToList();
        go.SetResult();
        var outcomes = await Task.WhenAll(tasks);

        Assert.All(outcomes, o => Assert.True(o.Succeeded, o.Error));
        var after = await EntriesAsync(App);
        Assert.Equal(before.Count + writers, after.Count);
        AssertChained(after);
        var created = after.Skip(before.Count).ToList();
        Assert.All(created, e => Assert.Equal("team.created", e.Action));
        Assert.Equal(Enumerable.Range(0, writers).Select(i => $"{tag}-{i:00}"), created.Select(e => e.Details).Order(StringComparer.Ordinal));
        await using var db = App.OpenDb();
        Assert.Equal(writers, await db.Teams.CountAsync(t => t.Name.StartsWith(tag)));
        Assert.Null(await App.FirstBadAuditEntryAsync(db));
    }
}

public sealed class AuditChainTests_on_Sqlite(SqliteApp f) : AuditChainTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class AuditChainTests_on_Postgres(PostgresApp f) : AuditChainTests<PostgresApp>(f), IClassFixture<PostgresApp>;
