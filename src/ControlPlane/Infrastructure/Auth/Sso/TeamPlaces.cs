using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Infrastructure.Auth.Sso;

/// <summary>
/// A person's team places follow their groups for the teams some rule names (for this provider): added, changed or
/// removed to match. Places in teams that no rule names were given by hand and are left alone. Sign-in and SCIM share
/// this; changes are made in the caller's context, to be saved with the caller's audit entries.
/// </summary>
public static class TeamPlaces
{
    /// <returns>What changed, in words for the audit trail, and the ruled team names that no team here has.</returns>
    public static async Task<(List<string> Changes, List<string> MissingTeams)> SyncAsync(
        ControlPlaneDb db, User user, string provider, MappedAccess access, RoleMappingOptions rules, DateTime now, CancellationToken ct)
    {
        var ruled = rules.Rules
            .Where(r => r.Team is not null && (r.Provider is null || string.Equals(r.Provider, provider, StringComparison.OrdinalIgnoreCase)))
            .Select(r => r.Team!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var changes = new List<string>();
        if (ruled.Count == 0) return (changes, []);
        // Compared here, not in SQL: team names are matched without case on every database.
        var teams = (await db.Teams.Where(t => t.OrganizationId == user.OrganizationId).Select(t => new { t.Id, t.Name }).ToListAsync(ct))
            .Where(t => ruled.Contains(t.Name)).ToList();
        var held = await db.TeamMemberships.Where(m => m.UserId == user.Id).ToDictionaryAsync(m => m.TeamId, ct);
        foreach (var team in teams)
        {
            access.Teams.TryGetValue(team.Name, out var wanted);
            held.TryGetValue(team.Id, out var place);
            if (wanted is null && place is not null)
            {
                db.TeamMemberships.Remove(place);
                changes.Add($"left team '{team.Name}'");
            }
            else if (wanted is not null && place is null)
            {
                db.TeamMemberships.Add(new TeamMembership { TeamId = team.Id, UserId = user.Id, Role = wanted, AddedAt = now });
                changes.Add($"joined team '{team.Name}' as {wanted}");
            }
            else if (wanted is not null && place is not null && place.Role != wanted)
            {
                changes.Add($"{place.Role} → {wanted} of team '{team.Name}'");
                place.Role = wanted;
            }
        }
        var missing = ruled.Where(name => !teams.Any(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))).ToList();
        return (changes, missing);
    }
}
