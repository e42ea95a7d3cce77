using ControlPlane.Features.Teams;

namespace ControlPlane.Tests.Teams;

public sealed class TeamTreeTests
{
    private static readonly Guid Org = Guid.NewGuid();

    private static Team T(string name, Team? parent = null) =>
        new() { Id = Guid.NewGuid(), OrganizationId = Org, Name = name, ParentTeamId = parent?.Id };

    private static readonly Dictionary<Guid, int> NoCounts = [];

    [Fact]
    public void Roots_are_sorted_by_name_ignoring_case_and_children_follow_their_parent()
    {
        var sales = T("sales");
        var engineering = T("Engineering");
        var research = T("Research");
        var platform = T("Platform", engineering);
        var mobile = T("mobile", engineering);
        var search = T("Search", platform);
        var analytics = T("Analytics", platform);
        // Given children before parents and in no particular order.
        Team[] teams = [search, sales, platform, research, analytics, mobile, engineering];

        var tree = TeamTree.Build(teams, NoCounts);

        Assert.Equal(
            [
                ("Engineering", 0),
                ("Engineering / mobile", 1),
                ("Engineering / Platform", 1),
                ("Engineering / Platform / Analytics", 2),
                ("Engineering / Platform / Search", 2),
                ("Research", 0),
                ("sales", 0),
            ],
            tree.Select(n => (n.Path, n.Depth)));
        Assert.Same(analytics, tree[3].Team);
    }

    [Fact]
    public void A_team_whose_parent_is_outside_the_set_becomes_a_root()
    {
        var engineering = T("Engineering");
        var platform = T("Platform", engineering);
        var search = T("Search", platform);
        var zeta = T("Zeta");

        var tree = TeamTree.Build([zeta, search, platform], NoCounts);

        Assert.Equal([("Platform", 0), ("Platform / Search", 1), ("Zeta", 0)], tree.Select(n => (n.Path, n.Depth)));
    }

    [Fact]
    public void A_lone_subteam_is_a_root_with_its_own_name_as_path()
    {
        var parent = T("Engineering");
        var child = T("Search", parent);

        var node = Assert.Single(TeamTree.Build([child], NoCounts));

        Assert.Equal(("Search", 0), (node.Path, node.Depth));
    }

    [Fact]
    public void Member_counts_are_carried_and_a_team_without_one_has_zero()
    {
        var a = T("A");
        var b = T("B", a);

        var tree = TeamTree.Build([a, b], new Dictionary<Guid, int> { [b.Id] = 3 });

        Assert.Equal([0, 3], tree.Select(n => n.MemberCount));
    }

    [Fact]
    public void An_empty_set_builds_an_empty_tree()
    {
        Assert.Empty(TeamTree.Build([], NoCounts));
    }

    [Fact]
    public void WithDescendants_brings_every_team_below_the_given_ones_and_nothing_above_or_beside()
    {
        var engineering = T("Engineering");
        var platform = T("Platform", engineering);
        var search = T("Search", platform);
        var ranking = T("Ranking", search);
        var mobile = T("Mobile", engineering);
        var sales = T("Sales");
        Team[] all = [engineering, platform, search, ranking, mobile, sales];

        Assert.Equal(new HashSet<Guid> { platform.Id, search.Id, ranking.Id }, TeamTree.WithDescendants(all, [platform.Id]));
        Assert.Equal(new HashSet<Guid> { engineering.Id, platform.Id, search.Id, ranking.Id, mobile.Id }, TeamTree.WithDescendants(all, [engineering.Id]));
        Assert.Equal(new HashSet<Guid> { search.Id, ranking.Id, sales.Id }, TeamTree.WithDescendants(all, [search.Id, sales.Id]));
        // Overlapping roots (a team and its own subteam) give each team once.
        Assert.Equal(new HashSet<Guid> { platform.Id, search.Id, ranking.Id }, TeamTree.WithDescendants(all, [search.Id, platform.Id]));
        Assert.Empty(TeamTree.WithDescendants(all, []));
    }
}
