using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Teams;

/// <summary>TeamDirectory on the running app and a real, demo-seeded database.</summary>
public abstract class TeamDirectoryTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private Task<T> Teams<T>(Func<TeamDirectory, Task<T>> use) => App.WithScopeAsync(sp => use(sp.GetRequiredService<TeamDirectory>()));

    private Task<Outcome<Team>> CreateAsync(Actor actor, string name, Guid? parent = null) => Teams(t => t.CreateAsync(actor, name, parent));

    private async Task<Team> CreateAsAdminAsync(string name, Guid? parent = null)
    {
        var created = await CreateAsync(await App.ActorAsync(DemoOrg.Adam), name, parent);
        Assert.True(created.Succeeded, created.Error);
        return created.Value!;
    }

    private async Task<HashSet<string>> NamesInAsync(TeamScope scope)
    {
        await using var db = App.OpenDb();
        var teams = await db.Teams.AsNoTracking().ToListAsync();
        return [.. teams.Where(t => scope.Includes(t.Id)).Select(t => t.Name)];
    }

    [Fact]
    public async Task Admin_creates_a_top_level_team_and_a_team_nested_under_it()
    {
        var parentName = DemoOrg.Unique("Parent");
        var childName = DemoOrg.Unique("Child");
        var grandchildName = DemoOrg.Unique("Grandchild");

        var parent = await CreateAsAdminAsync(parentName);
        var child = await CreateAsAdminAsync(childName, parent.Id);
        var grandchild = await CreateAsAdminAsync(grandchildName, child.Id);

        await using (var db = App.OpenDb())
        {
            var rows = await db.Teams.AsNoTracking().Where(t => t.Id == parent.Id || t.Id == child.Id || t.Id == grandchild.Id).ToDictionaryAsync(t => t.Id);
            Assert.Null(rows[parent.Id].ParentTeamId);
            Assert.Equal(parent.Id, rows[child.Id].ParentTeamId);
            Assert.Equal(child.Id, rows[grandchild.Id].ParentTeamId);
            Assert.Equal(childName, rows[child.Id].Name);
        }
        var tree = (await Teams(t => t.ListAsync(TeamScope.Everything))).ToList();
        var at = tree.FindIndex(n => n.Team.Id == parent.Id);
        Assert.True(at >= 0);
        Assert.Equal((0, parentName), (tree[at].Depth, tree[at].Path));
        Assert.Equal((child.Id, 1, $"{parentName} / {childName}"), (tree[at + 1].Team.Id, tree[at + 1].Depth, tree[at + 1].Path));
        Assert.Equal((grandchild.Id, 2, $"{parentName} / {childName} / {grandchildName}"), (tree[at + 2].Team.Id, tree[at + 2].Depth, tree[at + 2].Path));
    }

    [Fact]
    public async Task The_demo_tree_lists_each_team_after_its_parent_with_depth_path_and_member_count()
    {
        var tree = await Teams(t => t.ListAsync(TeamScope.Everything));

        var demo = tree.Where(n => DemoOrg.Teams.Contains(n.Team.Name)).Select(n => (n.Path, n.Depth, n.MemberCount)).ToList();
        Assert.Equal(
            [
                ("Engineering", 0, 1),
                ("Engineering / Mobile", 1, 1),
                ("Engineering / Platform", 1, 2),
                ("Engineering / Platform / Search", 2, 1),
                ("Research", 0, 1),
                ("Sales", 0, 2),
            ],
            demo);
    }

    [Fact]
    public async Task A_duplicate_team_name_is_refused()
    {
        var name = DemoOrg.Unique("Dup");
        await CreateAsAdminAsync(name);
        var admin = await App.ActorAsync(DemoOrg.Adam);

        var again = await CreateAsync(admin, name);
        var padded = await CreateAsync(admin, $"  {name}  ", await App.TeamIdAsync("Research"));
        var demo = await CreateAsync(admin, "Platform");

        Assert.Equal($"A team named '{name}' already exists.", again.Error);
        Assert.Equal($"A team named '{name}' already exists.", padded.Error);
        Assert.Equal("A team named 'Platform' already exists.", demo.Error);
        await using var db = App.OpenDb();
        Assert.Equal(1, await db.Teams.CountAsync(t => t.Name == name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task An_empty_team_name_is_refused(string name)
    {
        var created = await CreateAsync(await App.ActorAsync(DemoOrg.Adam), name);

        Assert.Equal("A team needs a name.", created.Error);
    }

    [Fact]
    public async Task A_team_name_of_101_characters_is_refused_and_one_of_100_is_accepted()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var hundred = DemoOrg.Unique("Long").PadRight(100, 'x');

        var tooLong = await CreateAsync(admin, hundred + "x");
        var justRight = await CreateAsync(admin, hundred);

        Assert.Equal("A team name has at most 100 characters.", tooLong.Error);
        Assert.True(justRight.Succeeded, justRight.Error);
        Assert.Equal(100, justRight.Value!.Name.Length);
        await using var db = App.OpenDb();
        Assert.Equal(hundred, (await db.Teams.SingleAsync(t => t.Id == justRight.Value.Id)).Name);
    }

    [Fact]
    public async Task A_missing_parent_is_refused()
    {
        var name = DemoOrg.Unique("Orphan");

        var created = await CreateAsync(await App.ActorAsync(DemoOrg.Olivia), name, Guid.NewGuid());

        Assert.Equal("The parent team no longer exists.", created.Error);
        await using var db = App.OpenDb();
        Assert.False(await db.Teams.AnyAsync(t => t.Name == name));
    }

    [Theory]
    [InlineData(DemoOrg.Leo)]
    [InlineData(DemoOrg.Mia)]
    [InlineData(DemoOrg.Aria)]
    [InlineData(DemoOrg.Fiona)]
    public async Task Only_an_owner_or_admin_creates_teams(string email)
    {
        var name = DemoOrg.Unique("NotAllowed");

        var created = await CreateAsync(await App.ActorAsync(email), name, await App.TeamIdAsync("Platform"));

        Assert.Equal("Only an Owner or Admin can create teams.", created.Error);
        await using var db = App.OpenDb();
        Assert.False(await db.Teams.AnyAsync(t => t.Name == name));
        Assert.False(await db.AuditEntries.AnyAsync(e => e.Details.Contains(name)));
    }

    [Fact]
    public async Task The_owner_creates_teams_too()
    {
        var created = await CreateAsync(await App.ActorAsync(DemoOrg.Olivia), DemoOrg.Unique("ByOwner"));

        Assert.True(created.Succeeded, created.Error);
    }

    [Fact]
    public async Task Members_are_added_as_lead_or_member_and_the_same_person_twice_is_refused()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var team = await CreateAsAdminAsync(DemoOrg.Unique("Crew"));
        var sam = await App.UserIdAsync(DemoOrg.Sam);
        var mia = await App.UserIdAsync(DemoOrg.Mia);

        var lead = await Teams(t => t.AddMemberAsync(admin, team.Id, sam, TeamRoles.Lead));
        var member = await Teams(t => t.AddMemberAsync(admin, team.Id, mia, TeamRoles.Member));
        var twice = await Teams(t => t.AddMemberAsync(admin, team.Id, mia, TeamRoles.Lead));

        Assert.True(lead.Succeeded, lead.Error);
        Assert.True(member.Succeeded, member.Error);
        Assert.Equal($"Mia Member is already in {team.Name}.", twice.Error);
        var members = await Teams(t => t.MembersAsync(team.Id));
        Assert.Equal([(DemoOrg.Sam, TeamRoles.Lead), (DemoOrg.Mia, TeamRoles.Member)], members.Select(m => (m.Email, m.Role)));
        var node = Assert.Single(await Teams(t => t.ListAsync(TeamScope.Everything)), n => n.Team.Id == team.Id);
        Assert.Equal(2, node.MemberCount);
    }

    [Theory]
    [InlineData("Owner")]
    [InlineData("lead")]
    [InlineData("")]
    public async Task An_unknown_team_role_is_refused(string role)
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var team = await CreateAsAdminAsync(DemoOrg.Unique("Roles"));
        var sam = await App.UserIdAsync(DemoOrg.Sam);

        var added = await Teams(t => t.AddMemberAsync(admin, team.Id, sam, role));

        Assert.Equal("A member's role is one of Lead, Member.", added.Error);
        Assert.Empty(await Teams(t => t.MembersAsync(team.Id)));
    }

    [Fact]
    public async Task Adding_to_a_missing_team_or_a_missing_person_is_refused()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var team = await CreateAsAdminAsync(DemoOrg.Unique("Missing"));
        var sam = await App.UserIdAsync(DemoOrg.Sam);

        var noTeam = await Teams(t => t.AddMemberAsync(admin, Guid.NewGuid(), sam, TeamRoles.Member));
        var noPerson = await Teams(t => t.AddMemberAsync(admin, team.Id, Guid.NewGuid(), TeamRoles.Member));

        Assert.Equal("That team or person no longer exists.", noTeam.Error);
        Assert.Equal("That team or person no longer exists.", noPerson.Error);
    }

    [Fact]
    public async Task A_removed_member_is_gone_and_removing_them_again_is_refused()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var team = await CreateAsAdminAsync(DemoOrg.Unique("Shrinking"));
        var sam = await App.UserIdAsync(DemoOrg.Sam);
        var mia = await App.UserIdAsync(DemoOrg.Mia);
        await Teams(t => t.AddMemberAsync(admin, team.Id, sam, TeamRoles.Member));
        await Teams(t => t.AddMemberAsync(admin, team.Id, mia, TeamRoles.Member));

        var removed = await Teams(t => t.RemoveMemberAsync(admin, team.Id, sam));
        var again = await Teams(t => t.RemoveMemberAsync(admin, team.Id, sam));

        Assert.True(removed.Succeeded, removed.Error);
        Assert.Equal(DemoOrg.Mia, Assert.Single(await Teams(t => t.MembersAsync(team.Id))).Email);
        Assert.Equal("That person is no longer in the team.", again.Error);
        await using var db = App.OpenDb();
        Assert.False(await db.TeamMemberships.AnyAsync(m => m.TeamId == team.Id && m.UserId == sam));
        Assert.True(await db.Users.AnyAsync(u => u.Id == sam));
    }

    [Theory]
    [InlineData(DemoOrg.Leo)]
    [InlineData(DemoOrg.Mia)]
    [InlineData(DemoOrg.Fiona)]
    public async Task Only_an_owner_or_admin_changes_team_members(string email)
    {
        var actor = await App.ActorAsync(email);
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var platform = await App.TeamIdAsync("Platform");
        var team = await CreateAsAdminAsync(DemoOrg.Unique("Guarded"));
        var sam = await App.UserIdAsync(DemoOrg.Sam);
        await Teams(t => t.AddMemberAsync(admin, team.Id, sam, TeamRoles.Member));

        var added = await Teams(t => t.AddMemberAsync(actor, platform, sam, TeamRoles.Member));
        var removed = await Teams(t => t.RemoveMemberAsync(actor, team.Id, sam));

        Assert.Equal("Only an Owner or Admin can change team members.", added.Error);
        Assert.Equal("Only an Owner or Admin can change team members.", removed.Error);
        Assert.DoesNotContain(await Teams(t => t.MembersAsync(platform)), m => m.Email == DemoOrg.Sam);
        Assert.Single(await Teams(t => t.MembersAsync(team.Id)));
    }

    [Fact]
    public async Task A_member_sees_their_teams_and_the_subteams_below_them_only()
    {
        var mia = await App.ActorAsync(DemoOrg.Mia);

        var scope = await Teams(t => t.VisibleToAsync(mia));

        Assert.False(scope.IsEverything);
        var names = await NamesInAsync(scope);
        Assert.Contains("Platform", names);
        Assert.Contains("Search", names);
        Assert.DoesNotContain("Engineering", names);
        Assert.DoesNotContain("Mobile", names);
        Assert.DoesNotContain("Research", names);
        Assert.DoesNotContain("Sales", names);
        // Her own subtree, rooted where her membership starts.
        var tree = await Teams(t => t.ListAsync(scope));
        Assert.Equal(("Platform", 0), tree.Where(n => n.Team.Name == "Platform").Select(n => (n.Path, n.Depth)).Single());
        Assert.Equal(("Platform / Search", 1), tree.Where(n => n.Team.Name == "Search").Select(n => (n.Path, n.Depth)).Single());
    }

    [Fact]
    public async Task A_new_subteam_is_seen_by_members_above_it_and_managed_by_leads_above_it()
    {
        var subteam = await CreateAsAdminAsync(DemoOrg.Unique("SearchRanking"), await App.TeamIdAsync("Search"));

        var miaSees = await Teams(async t => await t.VisibleToAsync(await App.ActorAsync(DemoOrg.Mia)));
        var leoManages = await Teams(async t => await t.ManagedByAsync(await App.ActorAsync(DemoOrg.Leo)));
        var samSees = await Teams(async t => await t.VisibleToAsync(await App.ActorAsync(DemoOrg.Sam)));

        Assert.True(miaSees.Includes(subteam.Id));
        Assert.True(leoManages.Includes(subteam.Id));
        Assert.False(samSees.Includes(subteam.Id));
    }

    [Fact]
    public async Task A_team_lead_manages_the_teams_they_lead_and_everything_below_them()
    {
        var leo = await App.ActorAsync(DemoOrg.Leo);

        var managed = await NamesInAsync(await Teams(t => t.ManagedByAsync(leo)));
        var visible = await NamesInAsync(await Teams(t => t.VisibleToAsync(leo)));

        foreach (var name in new[] { "Engineering", "Platform", "Search", "Mobile" })
        {
            Assert.Contains(name, managed);
            Assert.Contains(name, visible);
        }
        Assert.DoesNotContain("Research", managed);
        Assert.DoesNotContain("Sales", managed);
        Assert.DoesNotContain("Sales", visible);
    }

    [Theory]
    [InlineData(DemoOrg.Mia)]
    [InlineData(DemoOrg.Sam)]
    [InlineData(DemoOrg.Aria)]
    [InlineData(DemoOrg.Fiona)]
    public async Task Members_auditors_and_finance_admins_manage_no_team(string email)
    {
        var scope = await Teams(async t => await t.ManagedByAsync(await App.ActorAsync(email)));

        Assert.False(scope.IsEverything);
        Assert.Empty(scope.TeamIds);
        Assert.False(scope.Includes(await App.TeamIdAsync("Sales")));
    }

    [Theory]
    [InlineData(DemoOrg.Olivia)]
    [InlineData(DemoOrg.Adam)]
    [InlineData(DemoOrg.Aria)]
    [InlineData(DemoOrg.Fiona)]
    public async Task Organisation_wide_roles_see_every_team(string email)
    {
        var scope = await Teams(async t => await t.VisibleToAsync(await App.ActorAsync(email)));

        Assert.True(scope.IsEverything);
        Assert.True(scope.Includes(await App.TeamIdAsync("Sales")));
    }

    [Fact]
    public async Task Team_changes_are_audited_and_the_chain_stays_intact()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var parent = await CreateAsAdminAsync(DemoOrg.Unique("AuditedParent"));
        var child = await CreateAsAdminAsync(DemoOrg.Unique("AuditedChild"), parent.Id);
        var sam = await App.UserIdAsync(DemoOrg.Sam);
        Assert.True((await Teams(t => t.AddMemberAsync(admin, child.Id, sam, TeamRoles.Lead))).Succeeded);
        Assert.True((await Teams(t => t.RemoveMemberAsync(admin, child.Id, sam))).Succeeded);

        await using var db = App.OpenDb();
        var forChild = await db.AuditEntries.AsNoTracking().Where(e => e.Target == $"team:{child.Id}").OrderBy(e => e.Sequence)
            .Select(e => new { e.Action, e.Actor, e.Details }).ToListAsync();
        Assert.Equal(
            [
                new { Action = "team.created", Actor = DemoOrg.Adam, Details = $"{child.Name} under {parent.Name}" },
                new { Action = "team.member_added", Actor = DemoOrg.Adam, Details = $"{DemoOrg.Sam} as Lead in {child.Name}" },
                new { Action = "team.member_removed", Actor = DemoOrg.Adam, Details = $"{DemoOrg.Sam} from {child.Name}" },
            ],
            forChild);
        var forParent = Assert.Single(await db.AuditEntries.AsNoTracking().Where(e => e.Target == $"team:{parent.Id}").ToListAsync());
        Assert.Equal(("team.created", parent.Name), (forParent.Action, forParent.Details));
        Assert.Null(await App.FirstBadAuditEntryAsync(db));
    }
}

public sealed class TeamDirectoryTests_on_Sqlite(SqliteApp f) : TeamDirectoryTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class TeamDirectoryTests_on_Postgres(PostgresApp f) : TeamDirectoryTests<PostgresApp>(f), IClassFixture<PostgresApp>;
