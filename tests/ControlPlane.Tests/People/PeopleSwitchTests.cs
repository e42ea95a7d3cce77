using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.People;

/// <summary>Switching people off and on: sessions end at once, it is audited, and the organisation keeps an Owner.</summary>
public abstract class PeopleSwitchTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private Task<ControlPlane.Infrastructure.Outcome<User>> SwitchAsync(Actor actor, Guid userId, bool active) =>
        App.WithScopeAsync(sp => sp.GetRequiredService<PeopleDirectory>().SetActiveAsync(actor, userId, active));

    private async Task<User> PersonAsync(string email)
    {
        await using var db = App.OpenDb();
        return await db.Users.AsNoTracking().SingleAsync(u => u.Email == email);
    }

    [Fact]
    public async Task Switching_a_person_off_ends_their_sessions_at_once_and_is_audited()
    {
        var aria = await PersonAsync(DemoOrg.Aria);
        var session = PeopleDirectory.PrincipalFor(aria, "sso:okta");
        var check = App.Services.GetRequiredService<SessionCheck>();
        Assert.True(await check.IsCurrentAsync(session));

        var off = await SwitchAsync(await App.ActorAsync(DemoOrg.Olivia), aria.Id, false);

        Assert.True(off.Succeeded, off.Error);
        Assert.False(await check.IsCurrentAsync(session));
        var on = await SwitchAsync(await App.ActorAsync(DemoOrg.Olivia), aria.Id, true);
        Assert.True(on.Succeeded, on.Error);
        // Back on, the old session stays ended: the person signs in again.
        Assert.False(await check.IsCurrentAsync(session));
        Assert.True(await check.IsCurrentAsync(PeopleDirectory.PrincipalFor(await PersonAsync(DemoOrg.Aria), "sso:okta")));
        await using var db = App.OpenDb();
        var actions = await db.AuditEntries.AsNoTracking().Where(e => e.Target == $"user:{aria.Id}").OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
        Assert.Equal(["user.switched_off", "user.switched_on"], actions[^2..]);
    }

    [Fact]
    public async Task Nobody_switches_themselves_off_and_the_last_active_Owner_stays_on()
    {
        var olivia = await App.ActorAsync(DemoOrg.Olivia);
        var self = await SwitchAsync(olivia, olivia.UserId!.Value, false);
        Assert.False(self.Succeeded);
        Assert.Contains("yourself", self.Error, StringComparison.Ordinal);

        var lastOwner = await SwitchAsync(Actor.CommandLine, olivia.UserId!.Value, false);
        Assert.False(lastOwner.Succeeded);
        Assert.Contains("last active Owner", lastOwner.Error, StringComparison.Ordinal);

        // With a second Owner, either may switch the other off; then the remaining one is the last again.
        var second = await App.WithScopeAsync(sp => sp.GetRequiredService<PeopleDirectory>().CreateOwnerAsync(Actor.CommandLine, "second.owner@acme.test", "Second Owner"));
        Assert.True(second.Succeeded, second.Error);
        var secondActor = await App.ActorAsync("second.owner@acme.test");
        Assert.True((await SwitchAsync(secondActor, olivia.UserId!.Value, false)).Succeeded);
        Assert.Contains("last active Owner", (await SwitchAsync(Actor.CommandLine, secondActor.UserId!.Value, false)).Error, StringComparison.Ordinal);
        Assert.True((await SwitchAsync(secondActor, olivia.UserId!.Value, true)).Succeeded);
        Assert.True((await SwitchAsync(olivia, secondActor.UserId!.Value, false)).Succeeded);
    }

    [Fact]
    public async Task An_Admin_cannot_switch_anyone_off()
    {
        var sam = await PersonAsync(DemoOrg.Sam);
        var refused = await SwitchAsync(await App.ActorAsync(DemoOrg.Adam), sam.Id, false);
        Assert.False(refused.Succeeded);
        Assert.True((await PersonAsync(DemoOrg.Sam)).IsActive);
    }
}

public sealed class PeopleSwitchTests_on_Sqlite(SqliteApp f) : PeopleSwitchTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class PeopleSwitchTests_on_Postgres(PostgresApp f) : PeopleSwitchTests<PostgresApp>(f), IClassFixture<PostgresApp>;
