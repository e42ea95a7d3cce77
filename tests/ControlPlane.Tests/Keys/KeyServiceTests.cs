using ControlPlane.Features.Keys;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Keys;

/// <summary>KeyService on the running app and a real, demo-seeded database.</summary>
public abstract class KeyServiceTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private Task<Outcome<CreatedKey>> CreateAsync(Actor actor, Guid teamId, string name, DateTime? expiresAt = null) =>
        App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().CreateAsync(actor, teamId, name, expiresAt));

    private async Task<CreatedKey> CreateAsAdminAsync(string team, string name, DateTime? expiresAt = null)
    {
        var created = await CreateAsync(await App.ActorAsync(DemoOrg.Adam), await App.TeamIdAsync(team), name, expiresAt);
        Assert.True(created.Succeeded, created.Error);
        return created.Value!;
    }

    private Task<IReadOnlyList<KeyRow>> ListAsync(Actor actor, string? search = null) =>
        App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().ListAsync(actor, search));

    private Task<Outcome<ApiKey>> RevokeAsync(Actor actor, Guid keyId) =>
        App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().RevokeAsync(actor, keyId));

    private Task<Outcome<ApiKey>> RevokeByPrefixAsync(Actor actor, string prefix) =>
        App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().RevokeByPrefixAsync(actor, prefix));

    private async Task<ApiKey?> RowAsync(Guid keyId)
    {
        await using var db = App.OpenDb();
        return await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == keyId);
    }

    [Fact]
    public async Task Create_returns_the_plaintext_once_and_the_row_holds_only_its_hash_and_prefix()
    {
        var name = DemoOrg.Unique("hash-only");

        var created = await CreateAsAdminAsync("Platform", name);

        var plaintext = created.Plaintext;
        Assert.True(KeySecret.LooksLikeKey(plaintext));
        Assert.Equal(48, plaintext.Length);
        await using var db = App.OpenDb();
        var row = await db.ApiKeys.SingleAsync(k => k.Id == created.Key.Id);
        Assert.Equal(KeySecret.HashOf(plaintext), row.Hash);
        Assert.Equal(KeySecret.PrefixOf(plaintext), row.Prefix);
        Assert.Equal(name, row.Name);
        Assert.Equal(DemoOrg.Adam, row.CreatedBy);
        Assert.Null(row.ExpiresAt);
        Assert.Null(row.RevokedAt);
        // Neither the key nor its secret part (what follows the visible prefix) is in any column of the row.
        var secret = plaintext[KeySecret.PrefixLength..];
        var columns = db.Entry(row).Properties.Select(p => p.CurrentValue?.ToString() ?? "").ToList();
        Assert.Equal(db.Model.FindEntityType(typeof(ApiKey))!.GetProperties().Count(), columns.Count);
        Assert.All(columns, value => Assert.DoesNotContain(secret, value, StringComparison.Ordinal));
        // Nor does the returned entity carry it: only CreatedKey.Plaintext does.
        Assert.DoesNotContain(secret, created.Key.Hash + created.Key.Prefix + created.Key.Name, StringComparison.Ordinal);
        // Nor does the audit chain.
        Assert.False(await db.AuditEntries.AnyAsync(e => e.Details.Contains(secret) || e.Target.Contains(secret)));
    }

    [Fact]
    public async Task A_new_key_is_listed_as_active_with_its_team_path()
    {
        var name = DemoOrg.Unique("listed");
        var created = await CreateAsAdminAsync("Platform", name, DateTime.UtcNow.AddDays(7));
        var inSearch = await CreateAsAdminAsync("Search", DemoOrg.Unique("listed"));

        var rows = await ListAsync(await App.ActorAsync(DemoOrg.Adam));

        var row = Assert.Single(rows, r => r.Id == created.Key.Id);
        Assert.Equal(ApiKeyStatus.Active, row.Status);
        Assert.Equal("Engineering / Platform", row.TeamPath);
        Assert.Equal(name, row.Name);
        Assert.Equal(created.Key.Prefix, row.Prefix);
        Assert.Equal(DemoOrg.Adam, row.CreatedBy);
        Assert.NotNull(row.ExpiresAt);
        Assert.Null(row.RevokedAt);
        Assert.Equal("Engineering / Platform / Search", Assert.Single(rows, r => r.Id == inSearch.Key.Id).TeamPath);
        // Newest first.
        Assert.True(rows.ToList().FindIndex(r => r.Id == inSearch.Key.Id) < rows.ToList().FindIndex(r => r.Id == created.Key.Id));
    }

    [Fact]
    public async Task Search_finds_keys_by_name_prefix_and_team_path()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var name = DemoOrg.Unique("findme");
        var created = await CreateAsAdminAsync("Search", name);

        var byName = await ListAsync(admin, name);
        var byNameInOtherCase = await ListAsync(admin, $"  {name.ToUpperInvariant()} ");
        var byPrefix = await ListAsync(admin, created.Key.Prefix);
        var byPath = await ListAsync(admin, "Platform / Search");
        var byOtherTeam = await ListAsync(admin, "Sales");

        Assert.Equal(created.Key.Id, Assert.Single(byName).Id);
        Assert.Equal(created.Key.Id, Assert.Single(byNameInOtherCase).Id);
        Assert.Equal(created.Key.Id, Assert.Single(byPrefix).Id);
        Assert.Contains(byPath, r => r.Id == created.Key.Id);
        Assert.Contains(byPath, r => r.Name == "search-indexer");
        Assert.All(byPath, r => Assert.Equal("Engineering / Platform / Search", r.TeamPath));
        Assert.DoesNotContain(byOtherTeam, r => r.Id == created.Key.Id);
        Assert.Contains(byOtherTeam, r => r.Name == "sales-assistant");
        Assert.Empty(await ListAsync(admin, DemoOrg.Unique("nothing-is-called")));
    }

    [Fact]
    public async Task An_expiry_in_the_past_or_now_is_refused_with_a_clear_message()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var platform = await App.TeamIdAsync("Platform");
        var name = DemoOrg.Unique("past");

        var yesterday = await CreateAsync(admin, platform, name, DateTime.UtcNow.AddDays(-1));
        var aMinuteAgo = await CreateAsync(admin, platform, name, DateTime.UtcNow.AddMinutes(-1));

        Assert.False(yesterday.Succeeded);
        Assert.Equal("The expiry must be in the future.", yesterday.Error);
        Assert.Equal("The expiry must be in the future.", aMinuteAgo.Error);
        await using var db = App.OpenDb();
        Assert.False(await db.ApiKeys.AnyAsync(k => k.Name == name));
        Assert.False(await db.AuditEntries.AnyAsync(e => e.Details.Contains(name)));
    }

    [Fact]
    public async Task An_expiry_in_the_future_is_stored_in_UTC()
    {
        var expiry = new DateTimeOffset(2099, 3, 1, 18, 0, 0, TimeSpan.FromHours(2)).UtcDateTime;

        var created = await CreateAsAdminAsync("Platform", DemoOrg.Unique("expiring"), expiry);

        var row = await RowAsync(created.Key.Id);
        Assert.Equal(new DateTime(2099, 3, 1, 16, 0, 0), row!.ExpiresAt);
        Assert.Equal(ApiKeyStatus.Active, row.StatusAt(DateTime.UtcNow));
        Assert.Equal(ApiKeyStatus.Expired, row.StatusAt(expiry));
    }

    [Fact]
    public async Task A_key_name_longer_than_100_characters_is_refused()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);

        var created = await CreateAsync(admin, await App.TeamIdAsync("Platform"), DemoOrg.Unique("long") + new string('x', 100));

        Assert.Equal("A key name has at most 100 characters.", created.Error);
    }

    [Fact]
    public async Task Revoke_marks_the_key_revoked_by_whom_and_revoking_it_again_is_refused()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var created = await CreateAsAdminAsync("Platform", DemoOrg.Unique("revoke-me"));

        var revoked = await RevokeAsync(admin, created.Key.Id);
        var again = await RevokeAsync(admin, created.Key.Id);

        Assert.True(revoked.Succeeded, revoked.Error);
        var row = await RowAsync(created.Key.Id);
        Assert.NotNull(row!.RevokedAt);
        Assert.Equal(DemoOrg.Adam, row.RevokedBy);
        Assert.True(row.RevokedAt >= row.CreatedAt);
        Assert.Equal(ApiKeyStatus.Revoked, Assert.Single(await ListAsync(admin, created.Key.Prefix)).Status);

        Assert.False(again.Succeeded);
        Assert.Contains("already revoked", again.Error, StringComparison.Ordinal);
        Assert.Contains(created.Key.Prefix, again.Error, StringComparison.Ordinal);
        Assert.Equal(row.RevokedAt, (await RowAsync(created.Key.Id))!.RevokedAt);
    }

    [Fact]
    public async Task Revoke_by_prefix_revokes_that_key_and_an_unknown_prefix_is_refused()
    {
        var owner = await App.ActorAsync(DemoOrg.Olivia);
        var created = await CreateAsAdminAsync("Research", DemoOrg.Unique("by-prefix"));
        var bystander = await CreateAsAdminAsync("Research", DemoOrg.Unique("bystander"));

        var revoked = await RevokeByPrefixAsync(owner, $" {created.Key.Prefix} ");
        var unknown = await RevokeByPrefixAsync(owner, "cp-live-00000000");

        Assert.True(revoked.Succeeded, revoked.Error);
        Assert.Equal(created.Key.Id, revoked.Value!.Id);
        Assert.Equal(DemoOrg.Olivia, (await RowAsync(created.Key.Id))!.RevokedBy);
        Assert.Null((await RowAsync(bystander.Key.Id))!.RevokedAt);
        Assert.Equal("No key matches.", unknown.Error);
    }

    [Theory]
    [InlineData(DemoOrg.Olivia)]
    [InlineData(DemoOrg.Adam)]
    public async Task Owner_and_Admin_create_and_revoke_keys_for_any_team(string email)
    {
        var actor = await App.ActorAsync(email);
        foreach (var team in DemoOrg.Teams)
        {
            var created = await CreateAsync(actor, await App.TeamIdAsync(team), DemoOrg.Unique("any-team"));
            Assert.True(created.Succeeded, $"{team}: {created.Error}");
            var revoked = await RevokeAsync(actor, created.Value!.Key.Id);
            Assert.True(revoked.Succeeded, $"{team}: {revoked.Error}");
        }
    }

    [Fact]
    public async Task Team_lead_creates_keys_for_teams_they_lead_and_their_subteams_only()
    {
        var leo = await App.ActorAsync(DemoOrg.Leo);

        foreach (var team in new[] { "Engineering", "Platform", "Search", "Mobile" })
        {
            var created = await CreateAsync(leo, await App.TeamIdAsync(team), DemoOrg.Unique("leo"));
            Assert.True(created.Succeeded, $"{team}: {created.Error}");
            Assert.Equal(DemoOrg.Leo, (await RowAsync(created.Value!.Key.Id))!.CreatedBy);
        }
        foreach (var team in new[] { "Sales", "Research" })
        {
            var name = DemoOrg.Unique("leo-refused");
            var refused = await CreateAsync(leo, await App.TeamIdAsync(team), name);
            Assert.Equal("You can create keys only for teams you manage.", refused.Error);
            await using var db = App.OpenDb();
            Assert.False(await db.ApiKeys.AnyAsync(k => k.Name == name));
        }
    }

    [Fact]
    public async Task Team_lead_revokes_keys_of_a_subteam_they_manage_but_not_of_another_team()
    {
        var leo = await App.ActorAsync(DemoOrg.Leo);
        var inSearch = await CreateAsAdminAsync("Search", DemoOrg.Unique("leo-revokes"));
        var inSales = await CreateAsAdminAsync("Sales", DemoOrg.Unique("leo-cannot"));

        var revoked = await RevokeAsync(leo, inSearch.Key.Id);
        var refused = await RevokeByPrefixAsync(leo, inSales.Key.Prefix);

        Assert.True(revoked.Succeeded, revoked.Error);
        Assert.Equal(DemoOrg.Leo, (await RowAsync(inSearch.Key.Id))!.RevokedBy);
        Assert.Equal("You can revoke keys only of teams you manage.", refused.Error);
        Assert.Null((await RowAsync(inSales.Key.Id))!.RevokedAt);
    }

    [Fact]
    public async Task Another_team_lead_manages_only_their_own_team()
    {
        var rita = await App.ActorAsync(DemoOrg.Rita);

        var research = await CreateAsync(rita, await App.TeamIdAsync("Research"), DemoOrg.Unique("rita"));
        var platform = await CreateAsync(rita, await App.TeamIdAsync("Platform"), DemoOrg.Unique("rita"));

        Assert.True(research.Succeeded, research.Error);
        Assert.False(platform.Succeeded);
    }

    [Theory]
    [InlineData(DemoOrg.Mia, "Platform")]
    [InlineData(DemoOrg.Sam, "Sales")]
    [InlineData(DemoOrg.Aria, "Platform")]
    [InlineData(DemoOrg.Fiona, "Sales")] // FinanceAdmin, though Lead of Sales
    public async Task Members_auditors_and_finance_admins_can_neither_create_nor_revoke_keys(string email, string team)
    {
        var actor = await App.ActorAsync(email);
        var teamId = await App.TeamIdAsync(team);
        var existing = await CreateAsAdminAsync(team, DemoOrg.Unique("not-theirs"));
        var name = DemoOrg.Unique("refused");

        var created = await CreateAsync(actor, teamId, name);
        var revoked = await RevokeAsync(actor, existing.Key.Id);
        var revokedByPrefix = await RevokeByPrefixAsync(actor, existing.Key.Prefix);

        Assert.Equal("You can create keys only for teams you manage.", created.Error);
        Assert.Equal("You can revoke keys only of teams you manage.", revoked.Error);
        Assert.Equal("You can revoke keys only of teams you manage.", revokedByPrefix.Error);
        await using var db = App.OpenDb();
        Assert.False(await db.ApiKeys.AnyAsync(k => k.Name == name));
        Assert.Null((await RowAsync(existing.Key.Id))!.RevokedAt);
        Assert.False(await db.AuditEntries.AnyAsync(e => e.Actor == email && e.Action.StartsWith("key.")));
    }

    [Fact]
    public async Task A_member_sees_the_keys_of_their_teams_and_subteams_only()
    {
        var tag = DemoOrg.Unique("seen");
        foreach (var team in DemoOrg.Teams) await CreateAsAdminAsync(team, $"{tag}-{team}");
        var mia = await App.ActorAsync(DemoOrg.Mia);

        var tagged = await ListAsync(mia, tag);
        var all = await ListAsync(mia);

        Assert.Equal([$"{tag}-Platform", $"{tag}-Search"], tagged.Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.Contains(all, r => r.Name == "platform-prod");
        Assert.Contains(all, r => r.Name == "search-indexer");
        Assert.DoesNotContain(all, r => r.Name is "sales-assistant" or "research-notebooks" or "mobile-app");
        Assert.DoesNotContain(all, r => r.Name.EndsWith("-Engineering", StringComparison.Ordinal) || r.Name.EndsWith("-Sales", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(DemoOrg.Aria)]
    [InlineData(DemoOrg.Fiona)]
    public async Task Auditor_and_finance_admin_see_the_keys_of_every_team(string email)
    {
        var tag = DemoOrg.Unique("all-seen");
        foreach (var team in DemoOrg.Teams) await CreateAsAdminAsync(team, $"{tag}-{team}");
        var actor = await App.ActorAsync(email);

        var tagged = await ListAsync(actor, tag);
        var all = await ListAsync(actor);

        Assert.Equal(DemoOrg.Teams.Select(t => $"{tag}-{t}").Order(StringComparer.Ordinal), tagged.Select(r => r.Name).Order(StringComparer.Ordinal));
        foreach (var demoKey in new[] { "platform-prod", "platform-ci", "search-indexer", "mobile-app", "research-notebooks", "sales-assistant", "research-old" })
            Assert.Contains(all, r => r.Name == demoKey);
        await using var db = App.OpenDb();
        Assert.Equal(await db.ApiKeys.CountAsync(), all.Count);
    }

    [Fact]
    public async Task The_demo_keys_show_revoked_and_expiring_states()
    {
        var rows = await ListAsync(await App.ActorAsync(DemoOrg.Aria));

        Assert.Equal(ApiKeyStatus.Revoked, Assert.Single(rows, r => r.Name == "research-old").Status);
        var expiring = Assert.Single(rows, r => r.Name == "platform-ci");
        Assert.Equal(ApiKeyStatus.Active, expiring.Status);
        Assert.NotNull(expiring.ExpiresAt);
    }

    [Fact]
    public async Task Every_create_and_revoke_appends_an_audit_entry_and_the_chain_stays_intact()
    {
        var leo = await App.ActorAsync(DemoOrg.Leo);
        var name = DemoOrg.Unique("audited");
        var created = await CreateAsync(leo, await App.TeamIdAsync("Search"), name, DateTime.UtcNow.AddDays(3));
        Assert.True(created.Succeeded, created.Error);
        var prefix = created.Value!.Key.Prefix;
        var revoked = await RevokeByPrefixAsync(leo, prefix);
        Assert.True(revoked.Succeeded, revoked.Error);

        await using var db = App.OpenDb();
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.Target == $"key:{prefix}").OrderBy(e => e.Sequence).ToListAsync();
        Assert.Equal(["key.created", "key.revoked"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal(DemoOrg.Leo, e.Actor));
        Assert.Contains($"'{name}' for Search", entries[0].Details, StringComparison.Ordinal);
        Assert.Contains("expires", entries[0].Details, StringComparison.Ordinal);
        Assert.Equal($"'{name}'", entries[1].Details);
        Assert.Null(await App.FirstBadAuditEntryAsync(db));
    }
}

public sealed class KeyServiceTests_on_Sqlite(SqliteApp f) : KeyServiceTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class KeyServiceTests_on_Postgres(PostgresApp f) : KeyServiceTests<PostgresApp>(f), IClassFixture<PostgresApp>;
