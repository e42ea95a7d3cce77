using System.Security.Claims;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.People;

/// <summary>One person as the People page shows them.</summary>
public sealed record PersonRow(
    Guid Id, string Email, string DisplayName, string Role, bool IsActive, string? InactiveReason,
    IReadOnlyList<string> Teams, string? LastSignInMethod, DateTime? LastSignInAt);

public sealed partial class PeopleDirectory
{
    /// <summary>Who may see the People page's list (everyone's e-mail, role and teams): Owners and Admins.</summary>
    public static bool MayView(Actor actor) => actor.Role is Roles.Owner or Roles.Admin;

    /// <summary>Who may switch people off and on, sign them out everywhere and issue sign-in links: Owners.</summary>
    public static bool MayManage(Actor actor) => actor.Role == Roles.Owner;

    /// <summary>Everyone in the organisation with their teams and how they sign in, for Owners and Admins; nobody for others.</summary>
    public async Task<IReadOnlyList<PersonRow>> DirectoryAsync(Actor actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!MayView(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.DisplayName).ToListAsync(ct);
        var memberships = await (from m in db.TeamMemberships.AsNoTracking()
                                 join t in db.Teams.AsNoTracking() on m.TeamId equals t.Id
                                 select new { m.UserId, t.Name, m.Role }).ToListAsync(ct);
        var teams = memberships.ToLookup(m => m.UserId, m => m.Role == TeamRoles.Lead ? $"{m.Name} (lead)" : m.Name);
        return [.. users.Select(u => new PersonRow(u.Id, u.Email, u.DisplayName, u.Role, u.IsActive,
            u.IsActive ? null : InactiveReasons.Describe(u.InactiveReason),
            [.. teams[u.Id].Order(StringComparer.OrdinalIgnoreCase)], u.LastSignInMethod, u.LastSignInAt))];
    }

    /// <summary>
    /// An Owner switches a person off (they cannot sign in, every session ends at once) or back on. Audited. The last
    /// active Owner cannot be switched off, and nobody switches themselves off.
    /// </summary>
    public async Task<Outcome<User>> SetActiveAsync(Actor actor, Guid userId, bool active, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!MayManage(actor)) return Outcome.Fail<User>("Only an Owner can switch people off or on.");
        if (!active && actor.UserId == userId) return Outcome.Fail<User>("You cannot switch yourself off; ask another Owner.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null) return Outcome.Fail<User>("No such person.");
        if (user.IsActive == active) return Outcome.Fail<User>($"{user.Email} is already switched {(active ? "on" : "off")}.");
        if (!active && user.Role == Roles.Owner && !await db.Users.AnyAsync(u => u.Id != userId && u.Role == Roles.Owner && u.IsActive, ct))
            return Outcome.Fail<User>($"{user.Email} is the last active Owner; make someone else an Owner first.");

        user.IsActive = active;
        // Who and when is in the audit entry; the reason code says whose decision it was (a sign-in cannot undo it).
        user.InactiveReason = active ? null : InactiveReasons.Owner;
        if (!active) user.SessionVersion++; // every session ends now, not at the next revalidation
        await audit.SaveAsync(db, actor.Name, active ? "user.switched_on" : "user.switched_off", $"user:{user.Id}", user.Email, ct);
        sessions.Forget(user.Id);
        return user;
    }

    /// <summary>
    /// The first Owner of a fresh install, or break-glass access: creates the person as an Owner (and the organisation,
    /// when there is none yet), or makes an existing person an Owner and switches them on. Audited.
    /// </summary>
    public async Task<Outcome<User>> CreateOwnerAsync(Actor actor, string email, string displayName, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!MayManage(actor)) return Outcome.Fail<User>("Only an Owner can make someone an Owner.");
        email = (email ?? "").Trim();
        displayName = (displayName ?? "").Trim();
        if (email.Length is 0 or > 320 || !email.Contains('@', StringComparison.Ordinal) || email.StartsWith('@') || email.EndsWith('@'))
            return Outcome.Fail<User>($"'{email}' is not an e-mail address.");
        if (displayName.Length is 0 or > 200) return Outcome.Fail<User>("A name of at most 200 characters is needed.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var user = await Infrastructure.Auth.Sso.ExternalSignIn.FindByEmailAsync(db, email, ct);
        string action;
        if (user is null)
        {
            var organization = await db.Organizations.OrderBy(o => o.CreatedAt).FirstOrDefaultAsync(ct);
            if (organization is null)
            {
                organization = new Organization { Id = Guid.NewGuid(), Name = OrganizationNameFor(email), CreatedAt = now };
                db.Organizations.Add(organization);
            }
            user = new User { Id = Guid.NewGuid(), OrganizationId = organization.Id, Email = email, DisplayName = displayName, Role = Roles.Owner, CreatedAt = now };
            db.Users.Add(user);
            action = "user.owner_created";
        }
        else
        {
            action = user.Role == Roles.Owner && user.IsActive ? "user.owner_confirmed" : "user.made_owner";
            user.Role = Roles.Owner;
            user.IsActive = true;
            user.InactiveReason = null;
        }
        await audit.SaveAsync(db, actor.Name, action, $"user:{user.Id}", $"{user.Email} ({user.DisplayName})", ct);
        sessions.Forget(user.Id);
        return user;
    }

    /// <summary>Remembers how the person signed in (the People page shows it); called when a session is issued.</summary>
    public async Task RecordSignInAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        if (!Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)) return;
        var method = principal.FindFirstValue(ClaimTypes.AuthenticationMethod);
        if (method is null) return;
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(u => u
            .SetProperty(x => x.LastSignInMethod, method.Length > 64 ? method[..64] : method)
            .SetProperty(x => x.LastSignInAt, now), ct);
    }

    /// <summary>A fresh install's organisation is named after the first Owner's e-mail domain (acme.com → acme.com).</summary>
    private static string OrganizationNameFor(string email) => email[(email.LastIndexOf('@') + 1)..];
}
