using System.Text.Json.Nodes;
using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.People.Scim;

/// <summary>
/// The /Groups resource for one identity provider. A group's name is what the role mapping rules match, so every change
/// of its name or members recomputes the access of the people it touches, saved with the change's audit entry.
/// </summary>
public sealed class ScimGroups(IDbContextFactory<ControlPlaneDb> dbFactory, ScimAccess access, SessionCheck sessions, AuditLog audit, TimeProvider clock)
{
    public async Task<(ScimGroup Group, List<ScimUser> Members)> CreateAsync(string provider, JsonObject body, CancellationToken ct)
    {
        var name = ScimPatch.Text(body["displayName"], "displayName")?.Trim();
        if (string.IsNullOrEmpty(name)) throw ScimException.InvalidValue("'displayName' is required.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Set<ScimGroup>().AnyAsync(g => g.Provider == provider && g.DisplayName == name, ct))
            throw ScimException.Uniqueness($"A group named '{name}' already exists.");
        var now = Now();
        var group = new ScimGroup { Id = Guid.NewGuid(), Provider = provider, DisplayName = name, ExternalId = ScimPatch.Text(body["externalId"], "externalId"), CreatedAt = now, UpdatedAt = now };
        db.Set<ScimGroup>().Add(group);
        var members = ScimGroupResource.MemberIds(body["members"]).ToHashSet();
        await CommitAsync(db, group, [], members, "scim.group_created", name, ct);
        return (group, await MembersAsync(db, group.Id, ct));
    }

    public async Task<(ScimGroup Group, List<ScimUser> Members)> GetAsync(string provider, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var group = await FindAsync(db, provider, id, ct);
        return (group, await MembersAsync(db, id, ct));
    }

    public async Task<(int Total, List<(ScimGroup Group, List<ScimUser> Members)> Page)> ListAsync(string provider, ScimFilter? filter, int startIndex, int count, bool withMembers, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var groups = db.Set<ScimGroup>().AsNoTracking().Where(g => g.Provider == provider);
        if (filter is not null)
        {
            var value = filter.Value;
            groups = filter.Attribute switch
            {
                "displayname" => groups.Where(g => g.DisplayName == value),
                "externalid" => groups.Where(g => g.ExternalId == value),
                "id" => Guid.TryParse(value, out var id) ? groups.Where(g => g.Id == id) : groups.Where(g => false),
                _ => throw ScimException.InvalidFilter($"Groups cannot be filtered by '{filter.Attribute}'."),
            };
        }
        var total = await groups.CountAsync(ct);
        var page = count == 0 ? [] : await groups.OrderBy(g => g.CreatedAt).ThenBy(g => g.Id).Skip(startIndex - 1).Take(count).ToListAsync(ct);
        var result = new List<(ScimGroup, List<ScimUser>)>();
        foreach (var group in page) result.Add((group, withMembers ? await MembersAsync(db, group.Id, ct) : []));
        return (total, result);
    }

    public async Task ReplaceAsync(string provider, Guid id, JsonObject body, CancellationToken ct)
    {
        var name = ScimPatch.Text(body["displayName"], "displayName")?.Trim();
        if (string.IsNullOrEmpty(name)) throw ScimException.InvalidValue("'displayName' is required.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var group = await FindAsync(db, provider, id, ct, tracked: true);
        var before = await MemberIdsAsync(db, id, ct);
        var details = Renamed(group, name);
        group.ExternalId = ScimPatch.Text(body["externalId"], "externalId");
        await CommitAsync(db, group, before, [.. ScimGroupResource.MemberIds(body["members"])], "scim.group_replaced", details, ct);
    }

    public async Task PatchAsync(string provider, Guid id, JsonObject body, CancellationToken ct)
    {
        var operations = ScimPatch.Read(body);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var group = await FindAsync(db, provider, id, ct, tracked: true);
        var before = await MemberIdsAsync(db, id, ct);
        var after = new HashSet<Guid>(before);
        var details = new List<string>();
        foreach (var operation in operations)
        {
            if (operation.Path is null)
            {
                // Okta: {"op":"replace","value":{"id":"…","displayName":"New name"}}.
                if (operation.Value is not JsonObject values) throw ScimException.InvalidSyntax("An operation without a path needs an object value.");
                foreach (var (key, value) in values) Apply(group, after, details, operation.Op, key, value);
            }
            else
            {
                Apply(group, after, details, operation.Op, operation.Path, operation.Value);
            }
        }
        await CommitAsync(db, group, before, after, "scim.group_patched", string.Join("; ", details), ct);
    }

    public async Task DeleteAsync(string provider, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var group = await FindAsync(db, provider, id, ct, tracked: true);
        var before = await MemberIdsAsync(db, id, ct);
        db.Set<ScimGroup>().Remove(group);
        await CommitAsync(db, group, before, [], "scim.group_deleted", group.DisplayName, ct, deleted: true);
    }

    private static void Apply(ScimGroup group, HashSet<Guid> members, List<string> details, string op, string path, JsonNode? value)
    {
        if (ScimFilter.MemberValue(path) is { } one)
        {
            // Entra: {"op":"Remove","path":"members[value eq \"id\"]"}.
            if (op != "remove") throw ScimException.InvalidPath($"Only remove is supported on '{path}'.");
            if (Guid.TryParse(one, out var gone)) members.Remove(gone);
            details.Add($"removed member {one}");
            return;
        }
        switch (path.Trim().ToLowerInvariant())
        {
            case "members":
                var ids = ScimGroupResource.MemberIds(value);
                if (op == "replace") members.Clear();
                if (op == "remove" && value is null) members.Clear();
                foreach (var id in ids)
                    if (op == "remove") members.Remove(id); else members.Add(id);
                details.Add($"{op} members [{string.Join(", ", ids)}]");
                break;
            case "displayname":
                if (op == "remove") throw ScimException.InvalidValue("'displayName' cannot be removed.");
                details.Add(Renamed(group, ScimPatch.Text(value, "displayName")?.Trim() is { Length: > 0 } n ? n : throw ScimException.InvalidValue("'displayName' cannot be empty.")));
                break;
            case "externalid":
                group.ExternalId = op == "remove" ? null : ScimPatch.Text(value, "externalId");
                break;
            case "id" or "schemas" or "meta":
                break; // Okta repeats the id in a replace value
            default:
                throw ScimException.InvalidPath($"Groups have no attribute '{path}' that can be changed.");
        }
    }

    private static string Renamed(ScimGroup group, string name)
    {
        var details = group.DisplayName == name ? name : $"renamed '{group.DisplayName}' → '{name}'";
        group.DisplayName = name;
        return details;
    }

    /// <summary>Saves the group's new name and members with the access they give, audited; ends sessions where access ended.</summary>
    private async Task CommitAsync(ControlPlaneDb db, ScimGroup group, IReadOnlyCollection<Guid> before, HashSet<Guid> after, string action, string details, CancellationToken ct, bool deleted = false)
    {
        group.UpdatedAt = Now();
        // Only people this provider provisioned can be members; unknown ids are left out, as Okta and Entra expect.
        var known = await db.Set<ScimUser>().Where(u => u.Provider == group.Provider && u.DeletedAt == null && (after.Contains(u.Id) || before.Contains(u.Id))).ToListAsync(ct);
        var members = known.Where(u => after.Contains(u.Id)).Select(u => u.Id).ToHashSet();
        foreach (var gone in before.Where(id => !members.Contains(id)))
            db.Set<ScimGroupMember>().Remove(new ScimGroupMember { GroupId = group.Id, ScimUserId = gone });
        foreach (var added in members.Where(id => !before.Contains(id)))
            db.Set<ScimGroupMember>().Add(new ScimGroupMember { GroupId = group.Id, ScimUserId = added });

        var changes = new List<AccessChange>();
        foreach (var person in known)
        {
            var groups = await ScimAccess.SavedGroupsAsync(db, person.Id, group.Id, ct);
            if (!deleted && members.Contains(person.Id)) groups.Add(group.DisplayName);
            if (await access.ApplyAsync(db, person, groups, ct) is { } change) changes.Add(change);
        }
        var summary = changes.Count == 0 ? details : $"{details}; {string.Join("; ", changes.Select(c => c.Summary))}";
        try
        {
            await audit.SaveAsync(db, $"scim:{group.Provider}", action, $"scim-group:{group.Id}", summary, ct);
        }
        catch (DbUpdateException)
        {
            throw ScimException.Uniqueness($"A group named '{group.DisplayName}' already exists.");
        }
        foreach (var change in changes.Where(c => c.EndsSessions)) await sessions.EndSessionsAsync(change.UserId, ct);
    }

    private static async Task<ScimGroup> FindAsync(ControlPlaneDb db, string provider, Guid id, CancellationToken ct, bool tracked = false)
    {
        var groups = tracked ? db.Set<ScimGroup>() : db.Set<ScimGroup>().AsNoTracking();
        return await groups.FirstOrDefaultAsync(g => g.Id == id && g.Provider == provider, ct) ?? throw ScimException.NotFound($"Group {id} not found.");
    }

    private static async Task<HashSet<Guid>> MemberIdsAsync(ControlPlaneDb db, Guid groupId, CancellationToken ct) =>
        [.. await db.Set<ScimGroupMember>().Where(m => m.GroupId == groupId).Select(m => m.ScimUserId).ToListAsync(ct)];

    private static async Task<List<ScimUser>> MembersAsync(ControlPlaneDb db, Guid groupId, CancellationToken ct) =>
        await (from m in db.Set<ScimGroupMember>()
               join u in db.Set<ScimUser>() on m.ScimUserId equals u.Id
               where m.GroupId == groupId && u.DeletedAt == null
               orderby u.UserName
               select u).AsNoTracking().ToListAsync(ct);

    /// <summary>Whole microseconds, the finest time PostgreSQL keeps, so a resource reads back as it was written.</summary>
    private DateTime Now()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return now.AddTicks(-(now.Ticks % 10));
    }
}
