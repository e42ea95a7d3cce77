using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth;

/// <summary>
/// Whether a session still speaks for its person: they exist and are active, their role is the one the session carries, the
/// session's version is their current one (sign-out and "sign out everywhere" raise it), and a dev sign-in session is
/// only honoured in Development. The person is read from the database at most every Auth:RevalidateSeconds per node.
/// </summary>
public sealed class SessionCheck(IDbContextFactory<ControlPlaneDb> dbFactory, IHostEnvironment environment, IOptions<AuthOptions> options, TimeProvider clock)
{
    public const string VersionClaim = "cp:session_version";

    private readonly ConcurrentDictionary<Guid, (string Role, int Version, DateTimeOffset ReadAt)> _people = new();

    public async Task<bool> IsCurrentAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        if (principal.Identity?.IsAuthenticated != true) return true; // nobody signed in: nothing to end
        if (principal.FindFirstValue(ClaimTypes.AuthenticationMethod) == "dev" && !environment.IsDevelopment()) return false;
        if (!Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)) return false;
        if (!int.TryParse(principal.FindFirstValue(VersionClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var version)) return false;

        var now = clock.GetUtcNow();
        if (!_people.TryGetValue(id, out var person) || now - person.ReadAt >= TimeSpan.FromSeconds(options.Value.RevalidateSeconds))
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var row = await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => new { u.Role, u.SessionVersion, u.IsActive }).FirstOrDefaultAsync(ct);
            if (row is null || !row.IsActive)
            {
                _people.TryRemove(id, out _);
                return false;
            }
            person = (row.Role, row.SessionVersion, now);
            _people[id] = person;
        }
        return person.Version == version && principal.IsInRole(person.Role);
    }

    /// <summary>Ends every session of the person: their next request or circuit check on any node finds them out.</summary>
    public async Task EndSessionsAsync(Guid userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.SessionVersion, x => x.SessionVersion + 1), ct);
        Forget(userId);
    }

    /// <summary>Drops what this node remembers of the person, after their session version moved on.</summary>
    public void Forget(Guid userId) => _people.TryRemove(userId, out _);
}
