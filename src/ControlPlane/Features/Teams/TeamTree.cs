namespace ControlPlane.Features.Teams;

/// <summary>Teams ordered as a tree (each parent before its children) with their depth and full path.</summary>
public sealed record TeamNode(Team Team, int Depth, string Path, int MemberCount);

public static class TeamTree
{
    public static IReadOnlyList<TeamNode> Build(IReadOnlyList<Team> teams, IReadOnlyDictionary<Guid, int> memberCounts)
    {
        var children = teams.ToLookup(t => t.ParentTeamId);
        var known = teams.Select(t => t.Id).ToHashSet();
        var result = new List<TeamNode>(teams.Count);

        // Roots are teams without a parent, or whose parent is outside the given set (a lead's own subtree).
        foreach (var root in teams.Where(t => t.ParentTeamId is not { } p || !known.Contains(p)).OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase))
            Walk(root, 0, root.Name);
        return result;

        void Walk(Team team, int depth, string path)
        {
            result.Add(new TeamNode(team, depth, path, memberCounts.GetValueOrDefault(team.Id)));
            foreach (var child in children[team.Id].OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase))
                Walk(child, depth + 1, $"{path} / {child.Name}");
        }
    }

    /// <summary>The given teams and every team below them.</summary>
    public static HashSet<Guid> WithDescendants(IEnumerable<Team> allTeams, IEnumerable<Guid> roots)
    {
        var children = allTeams.ToLookup(t => t.ParentTeamId);
        var result = new HashSet<Guid>();
        var pending = new Stack<Guid>(roots);
        while (pending.TryPop(out var id))
        {
            if (!result.Add(id)) continue;
            foreach (var child in children[id]) pending.Push(child.Id);
        }
        return result;
    }
}
