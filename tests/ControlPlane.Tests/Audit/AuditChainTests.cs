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

    private static void AssertChained(List<AuditEntry> entries)
    {
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.Sequence));
        var previous = AuditLog.GenesisHash;
        foreach (var e in entries)
        {
            Assert.Equal(previous, e.PreviousHash);
            Assert.Equal(AuditLog.HashOf(e.Sequence, e.At, e.Actor, e.Action, e.Target, e.Details, e.PreviousHash), e.Hash);
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
        Assert.Null(await AuditLog.FindFirstBrokenLinkAsync(db));
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
            Assert.Null(await AuditLog.FindFirstBrokenLinkAsync(db));
            var original = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Sequence == 7);

            await db.Database.ExecuteSqlRawAsync("UPDATE audit_entries SET details = 'x' WHERE sequence = 7");

            Assert.Equal(7, await AuditLog.FindFirstBrokenLinkAsync(db));
            await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET details = {original.Details} WHERE sequence = 7");
            Assert.Null(await AuditLog.FindFirstBrokenLinkAsync(db));
        }
        finally
        {
            await DisposeAsync(app);
        }
    }

    [Fact]
    public async Task Deleting_an_entry_or_rehashing_an_edited_one_breaks_the_chain_at_the_next_entry()
    {
        var app = await NewAppAsync();
        try
        {
            await using var db = app.OpenDb();

            // Edit entry 12 and give it a hash that matches the edit: entry 13 no longer points at it.
            var e12 = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Sequence == 12);
            var forged = AuditLog.HashOf(e12.Sequence, e12.At, e12.Actor, e12.Action, e12.Target, "forged", e12.PreviousHash);
            await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET details = 'forged', hash = {forged} WHERE sequence = 12");
            Assert.Equal(13, await AuditLog.FindFirstBrokenLinkAsync(db));

            // Deleting an earlier entry breaks the chain at the one after it.
            await db.Database.ExecuteSqlRawAsync("DELETE FROM audit_entries WHERE sequence = 4");
            Assert.Equal(5, await AuditLog.FindFirstBrokenLinkAsync(db));
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
        Assert.Null(await AuditLog.FindFirstBrokenLinkAsync(db));
    }
}

public sealed class AuditChainTests_on_Sqlite(SqliteApp f) : AuditChainTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class AuditChainTests_on_Postgres(PostgresApp f) : AuditChainTests<PostgresApp>(f), IClassFixture<PostgresApp>;
