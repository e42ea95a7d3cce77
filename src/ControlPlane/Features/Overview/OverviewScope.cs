using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.Overview;

/// <summary>
/// What of the spend someone may see on the Overview: org-wide roles everything; a TeamLead the teams they belong to
/// and their subteams (<see cref="TeamDirectory.VisibleToAsync"/>); a Member only the keys of their teams (as the Keys
/// page lists them), so a call without a key (or of a key since moved) never shows. <see cref="Keys"/> is null when
/// the scope is by team only.
/// </summary>
public sealed record OverviewScope(TeamScope Teams, IReadOnlySet<Guid>? Keys)
{
    public static OverviewScope Everything { get; } = new(TeamScope.Everything, null);

    public bool IsEverything => Teams.IsEverything && Keys is null;

    /// <summary>Whether a tick of this team and key is within the scope.</summary>
    public bool Includes(Guid? teamId, Guid? keyId) =>
        (Teams.IsEverything || teamId is { } t && Teams.Includes(t)) && (Keys is null || keyId is { } k && Keys.Contains(k));

    /// <summary>The rollups within the scope, filtered in the database.</summary>
    public IQueryable<CallRollup> Filter(IQueryable<CallRollup> rollups)
    {
        if (!Teams.IsEverything)
        {
            var teams = Teams.TeamIds.ToList();
            rollups = rollups.Where(r => teams.Contains(r.TeamId));
        }
        if (Keys is not null)
        {
            var keys = Keys.ToList();
            rollups = rollups.Where(r => keys.Contains(r.KeyId));
        }
        return rollups;
    }
}

/// <summary>Works out an actor's <see cref="OverviewScope"/>.</summary>
public sealed class OverviewScopes(TeamDirectory teams, KeyService keys)
{
    public async Task<OverviewScope> ForAsync(Actor actor, CancellationToken ct = default)
    {
        if (actor.IsOrgWide) return OverviewScope.Everything;
        var visible = await teams.VisibleToAsync(actor, ct);
        if (actor.Role == Roles.TeamLead) return new OverviewScope(visible, null);
        var mine = await keys.ListAsync(actor, ct: ct);
        return new OverviewScope(visible, mine.Select(k => k.Id).ToHashSet());
    }
}
