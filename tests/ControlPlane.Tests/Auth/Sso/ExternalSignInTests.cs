using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Auth.Sso;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Auth.Sso;

/// <summary>
/// The protocol-neutral part of single sign-on, on the real app and database: who the person is, what their groups
/// give them, and what is audited. The OIDC tests drive the same code through a real provider.
/// </summary>
public abstract class ExternalSignInTests(DatabaseProvider provider) : IAsyncLifetime
{
    private TestDatabase _database = default!;
    private AppFactory _app = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(provider);
        var settings = SsoMappings.Settings();
        settings["Auth:RevalidateSeconds"] = "0";
        _app = new AppFactory(_database, settings: settings);
        _ = _app.Services; // starts the app: migrations and demo data
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    private Task<ExternalSignInResult> SignInAsync(string subject, string email, params string[] groups) =>
        _app.Services.GetRequiredService<ExternalSignIn>().SignInAsync(new ExternalIdentity("okta", subject, email, $"Name of {subject}", groups));

    [DatabaseFact]
    public async Task A_first_sign_in_creates_the_person_just_in_time_with_the_role_their_groups_give()
    {
        var result = await SignInAsync("00u-new", "nora.new@acme.test", SsoMappings.Finance, "everyone");

        Assert.True(result.Succeeded);
        await using var db = _app.OpenDb();
        var nora = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "nora.new@acme.test");
        Assert.Equal(Roles.FinanceAdmin, nora.Role);
        Assert.Equal("Name of 00u-new", nora.DisplayName);
        Assert.Equal(await db.Organizations.Select(o => o.Id).SingleAsync(), nora.OrganizationId);
        Assert.Equal(nora.Id, (await db.Set<ExternalLogin>().SingleAsync(l => l.Provider == "okta" && l.Subject == "00u-new")).UserId);
        var actions = await ActionsAsync(db, nora.Id);
        Assert.Contains("user.created", actions);
        Assert.Contains("user.signed_in", actions);
    }

    [DatabaseFact]
    public async Task An_existing_person_is_linked_by_email_the_first_time_and_found_by_the_link_after_their_address_changes()
    {
        Assert.True((await SignInAsync("00u-adam", "Adam.Admin@acme.test", SsoMappings.Admins)).Succeeded);
        var renamed = await SignInAsync("00u-adam", "adam.renamed@acme.test", SsoMappings.Admins);

        await using var db = _app.OpenDb();
        var adam = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "adam.admin@acme.test");
        Assert.Equal(adam.Id, renamed.User!.Id);
        Assert.False(await db.Users.AnyAsync(u => u.Email == "adam.renamed@acme.test"));
    }

    [DatabaseFact]
    public async Task The_role_is_refreshed_on_every_sign_in_and_the_change_is_audited()
    {
        Assert.Equal(Roles.Admin, (await SignInAsync("00u-adam", "adam.admin@acme.test", SsoMappings.Admins)).User!.Role);
        var demoted = await SignInAsync("00u-adam", "adam.admin@acme.test", SsoMappings.Auditors);

        Assert.Equal(Roles.Auditor, demoted.User!.Role);
        await using var db = _app.OpenDb();
        Assert.Equal(Roles.Auditor, (await db.Users.AsNoTracking().SingleAsync(u => u.Id == demoted.User.Id)).Role);
        var change = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "user.role_changed" && e.Target == $"user:{demoted.User.Id}")
            .OrderBy(e => e.Sequence).Select(e => e.Details).LastAsync();
        Assert.Contains("Admin → Auditor", change, StringComparison.Ordinal);
        Assert.Contains(SsoMappings.Auditors, change, StringComparison.Ordinal);
    }

    [DatabaseFact]
    public async Task Losing_every_mapped_group_switches_the_person_off_and_ends_their_sessions_until_they_regain_one()
    {
        var first = await SignInAsync("00u-fiona", "fiona.finance@acme.test", SsoMappings.Finance);
        var session = PeopleDirectory.PrincipalFor(first.User!, "sso:okta");
        var sessions = _app.Services.GetRequiredService<SessionCheck>();
        Assert.True(await sessions.IsCurrentAsync(session));

        var refused = await SignInAsync("00u-fiona", "fiona.finance@acme.test", "everyone");

        Assert.False(refused.Succeeded);
        Assert.Equal(SignInFailure.NoMappedGroup, refused.Failure);
        Assert.False(await sessions.IsCurrentAsync(session));
        await using (var db = _app.OpenDb())
        {
            var fiona = await db.Users.AsNoTracking().SingleAsync(u => u.Id == first.User!.Id);
            Assert.False(fiona.IsActive);
            Assert.Equal(InactiveReasons.NoMappedGroup, fiona.InactiveReason);
            var actions = await ActionsAsync(db, fiona.Id);
            Assert.Contains("user.deactivated", actions);
            Assert.Contains("user.sign_in_refused", actions);
        }

        var back = await SignInAsync("00u-fiona", "fiona.finance@acme.test", SsoMappings.Finance);
        Assert.True(back.Succeeded);
        Assert.True(await sessions.IsCurrentAsync(PeopleDirectory.PrincipalFor(back.User!, "sso:okta")));
        await using (var db = _app.OpenDb())
            Assert.Contains("user.reactivated", await ActionsAsync(db, back.User!.Id));
    }

    [DatabaseFact]
    public async Task A_person_switched_off_by_an_owner_or_by_scim_stays_out_whatever_their_groups()
    {
        await using (var db = _app.OpenDb())
        {
            await db.Users.Where(u => u.Email == "mia.member@acme.test")
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.IsActive, false).SetProperty(x => x.InactiveReason, InactiveReasons.Scim));
            await db.Users.Where(u => u.Email == "sam.sales@acme.test")
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.IsActive, false).SetProperty(x => x.InactiveReason, InactiveReasons.Owner));
        }

        var mia = await SignInAsync("00u-mia", "mia.member@acme.test", SsoMappings.Admins);
        var sam = await SignInAsync("00u-sam", "sam.sales@acme.test", SsoMappings.Admins);

        Assert.Equal(SignInFailure.SwitchedOff, mia.Failure);
        Assert.Equal(SignInFailure.SwitchedOff, sam.Failure);
        await using var check = _app.OpenDb();
        Assert.False(await check.Users.AnyAsync(u => (u.Email == "mia.member@acme.test" || u.Email == "sam.sales@acme.test") && u.IsActive));
    }

    [DatabaseFact]
    public async Task Team_places_follow_the_rules_and_places_in_teams_no_rule_names_are_left_alone()
    {
        // Leo leads Engineering and Platform in the demo; only Platform and Search are named by rules.
        var first = await SignInAsync("00u-leo", "leo.lead@acme.test", SsoMappings.Platform, SsoMappings.Search);
        Assert.Equal(Roles.Member, first.User!.Role);
        Assert.Equal(new Dictionary<string, string> { ["Engineering"] = TeamRoles.Lead, ["Platform"] = TeamRoles.Member, ["Search"] = TeamRoles.Member },
            await PlacesAsync(first.User.Id));

        var second = await SignInAsync("00u-leo", "leo.lead@acme.test", SsoMappings.PlatformLeads);
        Assert.Equal(Roles.TeamLead, second.User!.Role);
        Assert.Equal(new Dictionary<string, string> { ["Engineering"] = TeamRoles.Lead, ["Platform"] = TeamRoles.Lead },
            await PlacesAsync(second.User.Id));
        await using var db = _app.OpenDb();
        var changes = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "user.team_changed" && e.Target == $"user:{second.User.Id}")
            .Select(e => e.Details).ToListAsync();
        Assert.Contains(changes, d => d.Contains("left team 'Search'", StringComparison.Ordinal));
        Assert.Contains(changes, d => d.Contains("Member → Lead of team 'Platform'", StringComparison.Ordinal));
    }

    [DatabaseFact]
    public async Task Someone_unknown_with_no_mapped_group_is_refused_not_created_and_the_refusal_is_audited()
    {
        var result = await SignInAsync("00u-stranger", "stranger@elsewhere.test", "everyone");

        Assert.Equal(SignInFailure.NoMappedGroup, result.Failure);
        await using var db = _app.OpenDb();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "stranger@elsewhere.test"));
        Assert.False(await db.Set<ExternalLogin>().AnyAsync(l => l.Subject == "00u-stranger"));
        var refusal = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "user.sign_in_refused").Select(e => e.Details).SingleAsync();
        Assert.Contains("stranger@elsewhere.test", refusal, StringComparison.Ordinal);
        Assert.Contains(SignInFailure.NoMappedGroup.Message, refusal, StringComparison.Ordinal);
    }

    [DatabaseFact]
    public async Task A_provider_that_sends_no_email_is_refused()
    {
        var result = await SignInAsync("00u-anon", "", SsoMappings.Admins);

        Assert.Equal(SignInFailure.NoEmail, result.Failure);
    }

    private static async Task<List<string>> ActionsAsync(ControlPlaneDb db, Guid userId) =>
        await db.AuditEntries.AsNoTracking().Where(e => e.Target == $"user:{userId}").OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();

    private async Task<Dictionary<string, string>> PlacesAsync(Guid userId)
    {
        await using var db = _app.OpenDb();
        return await db.TeamMemberships.AsNoTracking().Where(m => m.UserId == userId)
            .Join(db.Teams, m => m.TeamId, t => t.Id, (m, t) => new { t.Name, m.Role }).ToDictionaryAsync(x => x.Name, x => x.Role);
    }
}

public sealed class ExternalSignInTests_on_Sqlite() : ExternalSignInTests(DatabaseProvider.Sqlite);

public sealed class ExternalSignInTests_on_Postgres() : ExternalSignInTests(DatabaseProvider.Postgres);
