using System.Security.Claims;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Components.Layout;

/// <summary>
/// Light or dark, remembered on the person's own row: it follows them to another browser, and the server renders the
/// first paint of every page in it (no light flash before the circuit starts).
/// </summary>
public sealed class ThemePreferences(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    /// <summary>Whether this person chose the dark theme; nobody signed in (or the CLI) gets the light one.</summary>
    public async Task<bool> PrefersDarkAsync(ClaimsPrincipal person, CancellationToken ct = default)
    {
        if (Actor.From(person).UserId is not { } id) return false;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<User>().Where(u => u.Id == id).Select(u => u.PrefersDarkTheme).FirstOrDefaultAsync(ct);
    }

    /// <summary>Remembers the choice; false when the person has no row to keep it on.</summary>
    public async Task<bool> RememberAsync(ClaimsPrincipal person, bool dark, CancellationToken ct = default)
    {
        if (Actor.From(person).UserId is not { } id) return false;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var changed = await db.Set<User>().Where(u => u.Id == id)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.PrefersDarkTheme, dark), ct);
        return changed == 1;
    }
}
