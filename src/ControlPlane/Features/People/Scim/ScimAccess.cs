using ControlPlane.Infrastructure.Auth.Sso;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.People.Scim;

/// <summary>What recomputing one person's access changed; <see cref="EndsSessions"/> when their sessions must end at once.</summary>
public sealed record AccessChange(Guid UserId, string Email, bool EndsSessions, string Summary);

/// <summary>
/// After every SCIM change to a person's groups or active flag: their role, the teams the mapping rules name, and
/// whether they may sign in at all follow from <see cref="GroupRoleMapper"/> over their SCIM groups. The provider's
/// "active" (and DELETE) switch them off whatever their groups; losing every mapped group does too.
/// Changes are made in the caller's context, to be saved with the caller's audit entry.
/// </summary>
public sealed class ScimAccess(GroupRoleMapper mapper, IOptionsMonitor<RoleMappingOptions> rules, TimeProvider clock)
{
    /// <summary>Applies the mapping over <paramref name="groups"/>: the person's SCIM groups as they are after this change.</summary>
    public async Task<AccessChange?> ApplyAsync(ControlPlaneDb db, ScimUser scim, IReadOnlyCollection<string> groups, CancellationToken ct)
    {
        // Find: the person may have been added in this unit of work, not saved yet.
        var user = await db.Users.FindAsync([scim.UserId], ct) ?? throw new InvalidOperationException($"SCIM user {scim.Id} names no person.");
        var mapped = mapper.Map(scim.Provider, groups);

        var changes = new List<string>();
        var wasActive = user.IsActive;
        var isActive = scim.Active && scim.DeletedAt is null && mapped.HasAccess;
        if (wasActive != isActive)
        {
            user.IsActive = isActive;
            // The provider's decision: signing in again cannot lift it, only the provider (or an Owner) can.
            user.InactiveReason = isActive ? null : InactiveReasons.Scim;
            changes.Add(isActive ? "switched on"
                : scim.DeletedAt is not null ? "switched off (deleted by the provider)"
                : !scim.Active ? "switched off (deactivated by the provider)"
                : "switched off (no mapped group)");
        }
        var roleChanged = mapped.Role is { } role && role != user.Role;
        if (roleChanged)
        {
            changes.Add($"role {user.Role} → {mapped.Role}");
            user.Role = mapped.Role!;
        }
        changes.AddRange(await ApplyTeamsAsync(db, scim.Provider, user, mapped, ct));
        if (changes.Count == 0) return null;

        var why = mapped.Reasons.Count == 0 ? "no mapped group" : string.Join("; ", mapped.Reasons);
        return new AccessChange(user.Id, user.Email, (wasActive && !isActive) || (isActive && roleChanged),
            $"{user.Email}: {string.Join(", ", changes)} (groups [{string.Join(", ", groups)}]: {why})");
    }

    private async Task<List<string>> ApplyTeamsAsync(ControlPlaneDb db, string provider, User user, MappedAccess mapped, CancellationToken ct) =>
        (await TeamPlaces.SyncAsync(db, user, provider, mapped, rules.CurrentValue, clock.GetUtcNow().UtcDateTime, ct)).Changes;

    /// <summary>The names of the saved groups the person is a member of, leaving out one group the caller is changing.</summary>
    public static async Task<List<string>> SavedGroupsAsync(ControlPlaneDb db, Guid scimUserId, Guid? except, CancellationToken ct) =>
        await (from m in db.Set<ScimGroupMember>()
               join g in db.Set<ScimGroup>() on m.GroupId equals g.Id
               where m.ScimUserId == scimUserId && g.Id != except
               select g.DisplayName).ToListAsync(ct);
}
