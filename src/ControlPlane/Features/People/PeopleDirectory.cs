using System.Security.Claims;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.People;

/// <summary>Finds people and turns one into the claims a session carries.</summary>
public sealed partial class PeopleDirectory(IDbContextFactory<ControlPlaneDb> dbFactory, SessionCheck sessions, AuditLog audit, TimeProvider clock)
{
    /// <summary>
    /// An Owner ends every session of a person (a lost laptop, a leaver): their next request or circuit check on any
    /// node is refused and they must sign in again. Audited.
    /// </summary>
    public async Task<Outcome<User>> SignOutEverywhereAsync(Actor actor, Guid userId, CancellationToken ct = default)
    {
        if (actor.Role != Roles.Owner) return Outcome.Fail<User>("Only an Owner can sign someone out everywhere.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null) return Outcome.Fail<User>("No such person.");
        user.SessionVersion++;
        await audit.SaveAsync(db, actor.Name, "user.signed_out_everywhere", $"user:{user.Id}", user.Email, ct);
        sessions.Forget(user.Id);
        return user;
    }

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().OrderBy(u => u.DisplayName).ToListAsync(ct);
    }

    public async Task<User?> FindAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, ct);
    }

    public static ClaimsPrincipal PrincipalFor(User user, string authenticationMethod)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new Claim(ClaimTypes.Name, user.DisplayName),
            new Claim(ClaimTypes.Email, user.Email),
            new Claim(ClaimTypes.Role, user.Role),
            new Claim(ClaimTypes.AuthenticationMethod, authenticationMethod),
            new Claim(SessionCheck.VersionClaim, user.SessionVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], CookieAuthenticationDefaults.AuthenticationScheme);
        return new ClaimsPrincipal(identity);
    }
}
