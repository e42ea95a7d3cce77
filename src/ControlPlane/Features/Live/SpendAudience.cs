using ControlPlane.Features.Keys;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.Live;

/// <summary>Which ticks a connection receives: everything, the ticks of some teams, or of some keys.</summary>
public sealed record SpendScope(bool Everything, IReadOnlyList<Guid> TeamIds, IReadOnlyList<Guid> KeyIds);

/// <summary>
/// Scopes /hubs/spend like the pages: org-wide roles see every team's ticks, a TeamLead those of the teams they belong
/// to and their subteams (<see cref="TeamDirectory.VisibleToAsync"/>), a Member those of the keys of their teams (as the
/// Keys page lists them, <see cref="KeyService.ListAsync"/>; the Overview scopes a Member the same way). A
/// connection joins one SignalR group per team or key in its scope (or the one group of everything), so a tick is
/// sent to at most three groups whatever the number of connections.
/// </summary>
public sealed class SpendAudience(TeamDirectory teams, KeyService keys)
{
    public const string EverythingGroup = "all";

    public static string TeamGroup(Guid teamId) => $"team:{teamId:N}";

    public static string KeyGroup(Guid keyId) => $"key:{keyId:N}";

    public async Task<SpendScope> ScopeOfAsync(Actor actor, CancellationToken ct)
    {
        if (actor.IsOrgWide) return new SpendScope(true, [], []);
        if (actor.Role == Roles.TeamLead)
            return new SpendScope(false, [.. (await teams.VisibleToAsync(actor, ct)).TeamIds.Order()], []);
        if (actor.Role != Roles.Member) return new SpendScope(false, [], []);
        return new SpendScope(false, [], [.. (await keys.ListAsync(actor, ct: ct)).Select(k => k.Id).Order()]);
    }

    public static IEnumerable<string> GroupsOf(SpendScope scope) =>
        scope.Everything ? [EverythingGroup] : scope.TeamIds.Select(TeamGroup).Concat(scope.KeyIds.Select(KeyGroup));
}
