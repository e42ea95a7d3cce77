using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Demo;

/// <summary>
/// The demo organisation a fresh install starts with, so every page has something in it: nested teams, a person
/// in every role, and keys (one revoked, one expiring). Teams and keys are made through their features' services,
/// so the demo also fills the audit chain the way real use does.
/// </summary>
public sealed class DemoData(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, KeyService keys, CallRollups rollups, TimeProvider clock,
    Notifications.ChannelSecrets channelSecrets)
{
    public const string OrganizationName = "Acme Robotics";
    private static readonly Actor Seeder = new(null, "system:demo-data", Roles.Owner);

    /// <summary>People of the demo, by e-mail: name, organisation role.</summary>
    public static IReadOnlyList<(string Email, string Name, string Role)> People { get; } =
    [
        ("olivia.owner@acme.test", "Olivia Owner", Roles.Owner),
        ("adam.admin@acme.test", "Adam Admin", Roles.Admin),
        ("fiona.finance@acme.test", "Fiona Finance", Roles.FinanceAdmin),
        ("leo.lead@acme.test", "Leo Lead", Roles.TeamLead),
        ("rita.research@acme.test", "Rita Research", Roles.TeamLead),
        ("mia.member@acme.test", "Mia Member", Roles.Member),
        ("sam.sales@acme.test", "Sam Sales", Roles.Member),
        ("aria.auditor@acme.test", "Aria Auditor", Roles.Auditor),
    ];

    public async Task SeedIfEmptyAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Organizations.AnyAsync(ct)) return;

        var now = clock.GetUtcNow().UtcDateTime;
        var org = new Organization { Id = Guid.NewGuid(), Name = OrganizationName, CreatedAt = now };
        db.Organizations.Add(org);
        var users = People.ToDictionary(p => p.Email, p => new User
        {
            Id = Guid.NewGuid(), OrganizationId = org.Id, Email = p.Email, DisplayName = p.Name, Role = p.Role, CreatedAt = now,
        });
        db.Users.AddRange(users.Values);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return; // another node seeded the same empty database first (unique organisation name)
        }

        var engineering = await Team("Engineering", null);
        var platform = await Team("Platform", engineering);
        var search = await Team("Search", platform);
        var mobile = await Team("Mobile", engineering);
        var research = await Team("Research", null);
        var sales = await Team("Sales", null);

        await Member(engineering, "leo.lead@acme.test", TeamRoles.Lead);
        await Member(platform, "leo.lead@acme.test", TeamRoles.Lead);
        await Member(platform, "mia.member@acme.test", TeamRoles.Member);
        await Member(search, "mia.member@acme.test", TeamRoles.Member);
        await Member(mobile, "adam.admin@acme.test", TeamRoles.Member);
        await Member(research, "rita.research@acme.test", TeamRoles.Lead);
        await Member(sales, "sam.sales@acme.test", TeamRoles.Member);
        await Member(sales, "fiona.finance@acme.test", TeamRoles.Lead);

        Guid burstingKey = default;
        var calling = new List<(Guid KeyId, Guid TeamId)>
        {
            (await Key(platform, "platform-prod", null), platform),
            (await Key(platform, "platform-ci", now.AddDays(5)), platform),
            (await Key(search, "search-indexer", null), search),
            (await Key(mobile, "mobile-app", now.AddDays(90)), mobile),
            (burstingKey = await Key(research, DemoGateway.BurstingKey, null), research),
            (await Key(sales, "sales-assistant", null), sales),
        };
        var retired = await Key(research, "research-old", null);
        await keys.RevokeAsync(Seeder, retired, ct);

        DemoGateway.Seed(db, calling, calling.Single(k => k.KeyId == burstingKey), now);
        DemoWallets.Seed(db, org.Id, new Dictionary<string, Guid>
        {
            ["Engineering"] = engineering, ["Platform"] = platform, ["Search"] = search,
            ["Mobile"] = mobile, ["Research"] = research, ["Sales"] = sales,
        }, now);
        DemoTransfers.Seed(db, users, now);
        DemoPrompts.Seed(db, users, platform, research, now);
        await db.SaveChangesAsync(ct);
        await DemoNotifications.SeedAsync(db, channelSecrets, search, now, ct);
        await db.SaveChangesAsync(ct);
        await DemoFinOps.SeedAsync(db, engineering, research, now, ct);
        await db.SaveChangesAsync(ct);
        // The demo's calls were written as a fixture, not through the batch writer: sum them as it would have.
        await rollups.RebuildAsync(now.AddDays(-DemoGateway.HistoryDays - 1), now.AddDays(1), ct);
        await DemoReconciliation.SeedAsync(db, now, ct);

        async Task<Guid> Team(string name, Guid? parent) => (await teams.CreateAsync(Seeder, name, parent, ct)).Value!.Id;
        async Task Member(Guid team, string email, string role) => await teams.AddMemberAsync(Seeder, team, users[email].Id, role, ct);
        async Task<Guid> Key(Guid team, string name, DateTime? expires) => (await keys.CreateAsync(Seeder, team, name, expires, ct)).Value!.Key.Id;
    }
}
