using System.Text.Json.Nodes;
using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

// EF Core translates ToLower() to LOWER() on every provider; string.Equals with a StringComparison has no translation.
#pragma warning disable CA1862

namespace ControlPlane.Features.People.Scim;

/// <summary>
/// The /Users resource for one identity provider: people created, changed, switched off and deleted as the provider
/// pushes them. Each change is saved with its audit entry; a person switched off has every session ended at once.
/// </summary>
public sealed class ScimPeople(IDbContextFactory<ControlPlaneDb> dbFactory, ScimAccess access, SessionCheck sessions, AuditLog audit, TimeProvider clock)
{
    public async Task<ScimUser> CreateAsync(string provider, JsonObject body, CancellationToken ct)
    {
        var now = Now();
        var draft = new ScimUser { Provider = provider, UserName = "" };
        ScimUserResource.Replace(draft, body);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var lowered = draft.UserName.ToLowerInvariant();
        var scim = await db.Set<ScimUser>().FirstOrDefaultAsync(u => u.Provider == provider && u.UserName.ToLower() == lowered, ct);
        if (scim is { DeletedAt: null }) throw ScimException.Uniqueness($"A user with userName '{draft.UserName}' already exists.");

        var email = ScimUserResource.EmailOf(draft);
        var person = await db.Users.FirstOrDefaultAsync(u => u.Email.ToLower() == email.ToLower(), ct);
        if (person is null)
        {
            var organization = await db.Organizations.OrderBy(o => o.CreatedAt).Select(o => (Guid?)o.Id).FirstOrDefaultAsync(ct)
                ?? throw ScimException.InvalidValue("There is no organisation yet: create the first Owner before provisioning people.");
            // Switched off until their groups map to a role (ScimAccess below).
            person = new User { Id = Guid.NewGuid(), OrganizationId = organization, Email = email, DisplayName = ScimUserResource.FullName(draft), Role = Roles.Member, CreatedAt = now, IsActive = false };
            db.Users.Add(person);
        }
        else if (scim is null && await db.Set<ScimUser>().AnyAsync(u => u.Provider == provider && u.UserId == person.Id && u.DeletedAt == null, ct))
        {
            throw ScimException.Uniqueness($"{email} is already provisioned by {provider} under another userName.");
        }

        if (scim is null)
        {
            scim = new ScimUser { Id = Guid.NewGuid(), Provider = provider, UserName = draft.UserName, CreatedAt = now };
            db.Set<ScimUser>().Add(scim);
        }
        scim.UserId = person.Id;
        scim.DeletedAt = null;
        ScimUserResource.Replace(scim, body);
        scim.UpdatedAt = now;

        var change = await access.ApplyAsync(db, scim, await ScimAccess.SavedGroupsAsync(db, scim.Id, null, ct), ct);
        await SaveAsync(db, provider, "scim.user_created", scim, $"{scim.UserName} (active: {scim.Active})", change, ct);
        return scim;
    }

    public async Task<ScimUser> GetAsync(string provider, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await FindAsync(db, provider, id, ct);
    }

    public async Task<(int Total, List<ScimUser> Page)> ListAsync(string provider, ScimFilter? filter, int startIndex, int count, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var users = db.Set<ScimUser>().AsNoTracking().Where(u => u.Provider == provider && u.DeletedAt == null);
        if (filter is not null)
        {
            var value = filter.Value;
            var lowered = value.ToLowerInvariant();
            users = filter.Attribute switch
            {
                "username" => users.Where(u => u.UserName.ToLower() == lowered),
                "externalid" => users.Where(u => u.ExternalId == value),
                "id" => Guid.TryParse(value, out var id) ? users.Where(u => u.Id == id) : users.Where(u => false),
                "emails.value" => users.Where(u => u.WorkEmail!.ToLower() == lowered || (u.WorkEmail == null && u.UserName.ToLower() == lowered)),
                "displayname" => users.Where(u => u.DisplayName == value),
                "active" => users.Where(u => u.Active == (lowered == "true")),
                _ => throw ScimException.InvalidFilter($"Users cannot be filtered by '{filter.Attribute}'."),
            };
        }
        var total = await users.CountAsync(ct);
        var page = count == 0 ? [] : await users.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).Skip(startIndex - 1).Take(count).ToListAsync(ct);
        return (total, page);
    }

    public async Task<ScimUser> ReplaceAsync(string provider, Guid id, JsonObject body, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scim = await FindAsync(db, provider, id, ct, tracked: true);
        var before = Describe(scim);
        ScimUserResource.Replace(scim, body);
        return await ChangedAsync(db, scim, before, "scim.user_replaced", ct);
    }

    public async Task<ScimUser> PatchAsync(string provider, Guid id, JsonObject body, CancellationToken ct)
    {
        var operations = ScimPatch.Read(body);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scim = await FindAsync(db, provider, id, ct, tracked: true);
        var before = Describe(scim);
        foreach (var operation in operations) ScimUserResource.Apply(scim, operation);
        return await ChangedAsync(db, scim, before, "scim.user_patched", ct);
    }

    /// <summary>DELETE: the resource is gone for the provider; the person is switched off and their sessions end.</summary>
    public async Task DeleteAsync(string provider, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scim = await FindAsync(db, provider, id, ct, tracked: true);
        scim.DeletedAt = scim.UpdatedAt = Now();
        scim.Active = false;
        db.Set<ScimGroupMember>().RemoveRange(await db.Set<ScimGroupMember>().Where(m => m.ScimUserId == scim.Id).ToListAsync(ct));
        var change = await access.ApplyAsync(db, scim, [], ct);
        await SaveAsync(db, provider, "scim.user_deleted", scim, scim.UserName, change, ct);
    }

    private async Task<ScimUser> ChangedAsync(ControlPlaneDb db, ScimUser scim, string before, string action, CancellationToken ct)
    {
        scim.UpdatedAt = Now();
        var person = await db.Users.FirstAsync(u => u.Id == scim.UserId, ct);
        var email = ScimUserResource.EmailOf(scim);
        if (!string.Equals(person.Email, email, StringComparison.OrdinalIgnoreCase))
        {
            if (await db.Users.AnyAsync(u => u.Id != person.Id && u.Email.ToLower() == email.ToLower(), ct))
                throw ScimException.Uniqueness($"Another person here signs in as {email}.");
            person.Email = email;
        }
        person.DisplayName = ScimUserResource.FullName(scim);
        var change = await access.ApplyAsync(db, scim, await ScimAccess.SavedGroupsAsync(db, scim.Id, null, ct), ct);
        await SaveAsync(db, scim.Provider, action, scim, $"{before} → {Describe(scim)}", change, ct);
        return scim;
    }

    private async Task SaveAsync(ControlPlaneDb db, string provider, string action, ScimUser scim, string details, AccessChange? change, CancellationToken ct)
    {
        try
        {
            await audit.SaveAsync(db, $"scim:{provider}", action, $"scim-user:{scim.Id}", change is null ? details : $"{details}; {change.Summary}", ct);
        }
        catch (DbUpdateException)
        {
            throw ScimException.Uniqueness($"userName '{scim.UserName}' or its e-mail is already taken.");
        }
        if (change is { EndsSessions: true }) await sessions.EndSessionsAsync(change.UserId, ct);
    }

    private static async Task<ScimUser> FindAsync(ControlPlaneDb db, string provider, Guid id, CancellationToken ct, bool tracked = false)
    {
        var users = tracked ? db.Set<ScimUser>() : db.Set<ScimUser>().AsNoTracking();
        return await users.FirstOrDefaultAsync(u => u.Id == id && u.Provider == provider && u.DeletedAt == null, ct)
            ?? throw ScimException.NotFound($"User {id} not found.");
    }

    private static string Describe(ScimUser u) => $"{u.UserName} active={u.Active}";

    /// <summary>Whole microseconds, the finest time PostgreSQL keeps, so a resource reads back as it was written.</summary>
    private DateTime Now()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return now.AddTicks(-(now.Ticks % 10));
    }
}
