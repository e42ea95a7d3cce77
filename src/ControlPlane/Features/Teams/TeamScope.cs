namespace ControlPlane.Features.Teams;

/// <summary>The teams someone may see or act on: all of them, or a set (a team always brings its subteams).</summary>
public sealed class TeamScope
{
    private readonly HashSet<Guid>? _teamIds;

    private TeamScope(HashSet<Guid>? teamIds) => _teamIds = teamIds;

    public static TeamScope Everything { get; } = new(null);
    public static TeamScope Of(IEnumerable<Guid> teamIds) => new([.. teamIds]);

    public bool IsEverything => _teamIds is null;
    public bool Includes(Guid teamId) => _teamIds is null || _teamIds.Contains(teamId);
    public IReadOnlyCollection<Guid> TeamIds => _teamIds ?? [];
}
