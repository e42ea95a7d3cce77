using System.Text.Json;
using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Keys;
using ControlPlane.Features.People;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Audit;

/// <summary>Entries carry the changed entities before and after, from the change tracker, with no secret in them.</summary>
public abstract class AuditBeforeAfterTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private async Task<AuditEntry> LastEntryAsync(string action)
    {
        await using var db = App.OpenDb();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Action == action).OrderByDescending(e => e.Sequence).FirstAsync();
    }

    /// <summary>One side's JSON: "Entity key" → property → value.</summary>
    private static Dictionary<string, Dictionary<string, JsonElement>> Side(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, JsonElement>>>(json)!;

    [Fact]
    public async Task Creating_a_key_records_it_after_with_its_database_id_and_its_hash_redacted()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var platform = await App.TeamIdAsync("Platform");
        var created = await App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().CreateAsync(admin, platform, "before-after", null));
        Assert.True(created.Succeeded, created.Error);
        var key = created.Value!;

        var entry = await LastEntryAsync("key.created");

        Assert.Equal(AuditLog.CurrentHashVersion, entry.HashVersion);
        Assert.Null(entry.Before);
        var after = Assert.Single(Side(entry.After));
        Assert.Equal($"ApiKey {key.Key.Id}", after.Key);
        Assert.Equal("before-after", after.Value["Name"].GetString());
        Assert.Equal(AuditChanges.Redacted, after.Value["Hash"].GetString());
        Assert.DoesNotContain(key.Key.Hash, entry.After, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Plaintext, entry.After, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_a_key_records_the_key_as_it_was_and_as_it_became()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var platform = await App.TeamIdAsync("Platform");
        var created = await App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().CreateAsync(admin, platform, "to-revoke", null));
        await App.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().RevokeAsync(admin, created.Value!.Key.Id));

        var entry = await LastEntryAsync("key.revoked");

        var name = $"ApiKey {created.Value!.Key.Id}";
        Assert.Equal(JsonValueKind.Null, Side(entry.Before)[name]["RevokedAt"].ValueKind);
        Assert.Equal(JsonValueKind.String, Side(entry.After)[name]["RevokedAt"].ValueKind);
        Assert.Equal(AuditChanges.Redacted, Side(entry.Before)[name]["Hash"].GetString());
        Assert.Equal(AuditChanges.Redacted, Side(entry.After)[name]["Hash"].GetString());
    }

    [Fact]
    public async Task A_provider_API_key_never_reaches_the_chain_but_its_change_shows()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var name = DemoOrg.Unique("redact");
        const string secret = "sk-audit-secret-0123456789";
        var saved = await App.WithScopeAsync(sp => sp.GetRequiredService<ProviderService>().SaveAsync(admin, null, new ProviderForm
        {
            Name = name, BaseUrl = "https://api.example.com/v1", ApiKey = secret, Enabled = false,
        }));
        Assert.True(saved.Succeeded, saved.Error);
        var id = saved.Value!.Id;
        var changed = await App.WithScopeAsync(sp => sp.GetRequiredService<ProviderService>().SaveAsync(admin, id, new ProviderForm
        {
            Name = name, BaseUrl = "https://api.example.com/v1", ApiKey = secret + "-rotated", Enabled = false, MaxRetries = 3,
        }));
        Assert.True(changed.Succeeded, changed.Error);

        await using var db = App.OpenDb();
        var stored = await db.Providers.AsNoTracking().SingleAsync(p => p.Id == id);
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.Target == $"provider:{name}").OrderBy(e => e.Sequence).ToListAsync();
        Assert.Equal(["provider.created", "provider.updated"], entries.Select(e => e.Action));
        foreach (var e in entries)
        {
            Assert.DoesNotContain("sk-audit-secret", $"{e.Details}{e.Before}{e.After}", StringComparison.Ordinal);
            Assert.DoesNotContain(stored.EncryptedApiKey!, $"{e.Before}{e.After}", StringComparison.Ordinal);
        }
        var row = $"Provider {id}";
        Assert.Equal(AuditChanges.Redacted, Side(entries[0].After)[row]["EncryptedApiKey"].GetString());
        Assert.Equal(2, Side(entries[1].Before)[row]["MaxRetries"].GetInt32());
        Assert.Equal(3, Side(entries[1].After)[row]["MaxRetries"].GetInt32());
        Assert.Equal(AuditChanges.Redacted, Side(entries[1].Before)[row]["EncryptedApiKey"].GetString());
        Assert.Equal(AuditChanges.RedactedChanged, Side(entries[1].After)[row]["EncryptedApiKey"].GetString());
        // The hint (last four characters) is no secret and stays readable.
        Assert.Equal(stored.ApiKeyHint, Side(entries[1].After)[row]["ApiKeyHint"].GetString());
    }

    [Fact]
    public async Task A_sign_in_link_token_never_reaches_the_chain()
    {
        var olivia = await App.ActorAsync(DemoOrg.Olivia);
        var sam = await App.UserIdAsync(DemoOrg.Sam);
        var issued = await App.WithScopeAsync(sp => sp.GetRequiredService<SignInLinks>().IssueAsync(olivia, sam));
        Assert.True(issued.Succeeded, issued.Error);

        var entry = await LastEntryAsync("user.sign_in_link.created");

        var link = Assert.Single(Side(entry.After), s => s.Key.StartsWith("SignInLink ", StringComparison.Ordinal));
        Assert.Equal(AuditChanges.Redacted, link.Value["TokenHash"].GetString());
        await using var db = App.OpenDb();
        var hashes = await db.Set<SignInLink>().AsNoTracking().Select(l => l.TokenHash).ToListAsync();
        Assert.All(hashes, h => Assert.DoesNotContain(h, entry.After, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Editing_an_entrys_before_or_after_breaks_the_chain_at_that_entry()
    {
        var app = new AppFactory(await TestDatabase.CreateAsync(App.Database.Provider));
        try
        {
            _ = app.Server;
            await using var db = app.OpenDb();
            var entry = await db.AuditEntries.AsNoTracking().Where(e => e.After != null).OrderBy(e => e.Sequence).FirstAsync();
            Assert.Null(await app.FirstBadAuditEntryAsync(db));
            Assert.Contains("\"Name\":\"", entry.After, StringComparison.Ordinal);

            await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET after = {entry.After!.Replace("\"Name\":\"", "\"Name\":\"x")} WHERE sequence = {entry.Sequence}");
            Assert.Equal(entry.Sequence, await app.FirstBadAuditEntryAsync(db));
            await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET after = {entry.After} WHERE sequence = {entry.Sequence}");
            Assert.Null(await app.FirstBadAuditEntryAsync(db));

            await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET before = '{{}}' WHERE sequence = {entry.Sequence}");
            Assert.Equal(entry.Sequence, await app.FirstBadAuditEntryAsync(db));
        }
        finally
        {
            await app.DisposeAsync();
            await app.Database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Entries_made_before_before_and_after_existed_keep_verifying_and_cannot_be_passed_off_later()
    {
        var app = new AppFactory(await TestDatabase.CreateAsync(App.Database.Provider));
        try
        {
            _ = app.Server;
            await using var db = app.OpenDb();
            var key = app.Services.GetRequiredService<AuditChainKeys>().Current;
            // The chain as version 1 wrote it: no before/after, the old hash input.
            var previous = AuditLog.GenesisHash;
            foreach (var e in await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync())
            {
                var hash = AuditLog.HashOf(key, e.Sequence, e.At, e.Actor, e.Action, e.Target, e.Details, previous);
                await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET hash_version = 1, before = NULL, after = NULL, previous_hash = {previous}, hash = {hash} WHERE sequence = {e.Sequence}");
                previous = hash;
            }
            Assert.Null(await app.FirstBadAuditEntryAsync(db));

            // New entries (version 2) chain on.
            var admin = await app.ActorAsync(DemoOrg.Adam);
            var platform = await app.TeamIdAsync("Platform");
            var created = await app.WithScopeAsync(sp => sp.GetRequiredService<KeyService>().CreateAsync(admin, platform, "v2", null));
            Assert.True(created.Succeeded, created.Error);
            var head = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence).FirstAsync();
            Assert.Equal(2, head.HashVersion);
            Assert.Null(await app.FirstBadAuditEntryAsync(db));

            // A version-2 entry relabelled as version 1 (so its before/after would be uncovered) is refused.
            await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET hash_version = 1 WHERE sequence = {head.Sequence}");
            Assert.Equal(head.Sequence, await app.FirstBadAuditEntryAsync(db));
        }
        finally
        {
            await app.DisposeAsync();
            await app.Database.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(typeof(ControlPlane.Features.Gateway.Providers.Provider), "EncryptedApiKey", true)]
    [InlineData(typeof(ControlPlane.Features.Gateway.Providers.Provider), "ApiKeyHint", false)]
    [InlineData(typeof(ControlPlane.Features.Gateway.Providers.Provider), "BaseUrl", false)]
    [InlineData(typeof(ApiKey), "Hash", true)]
    [InlineData(typeof(ApiKey), "Prefix", false)]
    [InlineData(typeof(ApiKey), "TokensPerMinute", false)]
    [InlineData(typeof(ControlPlane.Features.People.Scim.ScimToken), "Hash", true)]
    [InlineData(typeof(SignInLink), "TokenHash", true)]
    [InlineData(typeof(ControlPlane.Infrastructure.Data.DataProtectionKey), "Xml", true)]
    public void Secret_fields_are_known_by_their_attribute_or_their_name(Type entity, string property, bool secret)
    {
        using var db = App.OpenDb();
        var found = db.Model.FindEntityType(entity)!.FindProperty(property);
        Assert.NotNull(found);
        Assert.Equal(secret, AuditChanges.IsSecret(found));
    }

    [Fact]
    public void Every_property_named_like_a_secret_is_redacted()
    {
        using var db = App.OpenDb();
        var named = db.Model.GetEntityTypes().SelectMany(t => t.GetProperties())
            .Where(p => p.DeclaringType.ClrType != typeof(AuditEntry) && p.ClrType == typeof(string)
                && System.Text.RegularExpressions.Regex.IsMatch(p.Name, "Secret|Password|Token|Hash|Key$|Xml|Encrypted"))
            .ToList();
        Assert.NotEmpty(named);
        Assert.All(named, p => Assert.True(AuditChanges.IsSecret(p), $"{p.DeclaringType.ClrType.Name}.{p.Name} would reach the audit chain"));
    }
}

public sealed class AuditBeforeAfterTests_on_Sqlite(SqliteApp f) : AuditBeforeAfterTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class AuditBeforeAfterTests_on_Postgres(PostgresApp f) : AuditBeforeAfterTests<PostgresApp>(f), IClassFixture<PostgresApp>;
