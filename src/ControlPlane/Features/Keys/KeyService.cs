using ControlPlane.Features.Audit;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Keys;

/// <summary>A key as lists show it; never the hash.</summary>
public sealed record KeyRow(Guid Id, string Name, string Prefix, Guid TeamId, string TeamPath, DateTime CreatedAt, string CreatedBy, DateTime? ExpiresAt, DateTime? RevokedAt, ApiKeyStatus Status,
    int? RequestsPerMinute = null, int? TokensPerMinute = null, int? CallerCeilingCalls = null);

/// <summary>A key just made: the only moment its plaintext exists outside the caller's hands.</summary>
public sealed record CreatedKey(ApiKey Key, string Plaintext);

/// <summary>Creates, lists and revokes virtual API keys, within the teams the actor may manage.</summary>
public sealed class KeyService(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, AuditLog audit, TimeProvider clock, KeyRing ring, EventBus events)
{
    public const int MaxNameLength = 100;

    public async Task<IReadOnlyList<KeyRow>> ListAsync(Actor actor, string? search = null, CancellationToken ct = default)
    {
        var visible = await teams.VisibleToAsync(actor, ct);
        var paths = (await teams.ListAsync(visible, ct)).ToDictionary(n => n.Team.Id, n => n.Path);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.ApiKeys.AsNoTracking().OrderByDescending(k => k.CreatedAt).ToListAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        search = search?.Trim();
        return [.. keys
            .Where(k => paths.ContainsKey(k.TeamId))
            .Select(k => new KeyRow(k.Id, k.Name, k.Prefix, k.TeamId, paths[k.TeamId], k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.RevokedAt, k.StatusAt(now),
                k.RequestsPerMinute, k.TokensPerMinute, k.CallerCeilingCalls))
            .Where(r => string.IsNullOrEmpty(search)
                || r.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
                || r.Prefix.Contains(search, StringComparison.OrdinalIgnoreCase)
                || r.TeamPath.Contains(search, StringComparison.OrdinalIgnoreCase))];
    }

    public Task<Outcome<CreatedKey>> CreateAsync(Actor actor, Guid teamId, string? name, DateTime? expiresAt, CancellationToken ct = default) =>
        CreateAsync(actor, teamId, name, expiresAt, projectId: null, ct);

    /// <summary>Creates a key for the team, filed under one of its projects when <paramref name="projectId"/> is given.</summary>
    public async Task<Outcome<CreatedKey>> CreateAsync(Actor actor, Guid teamId, string? name, DateTime? expiresAt, Guid? projectId, CancellationToken ct = default)
    {
        if (!(await teams.ManagedByAsync(actor, ct)).Includes(teamId))
            return Outcome.Fail<CreatedKey>("You can create keys only for teams you manage.");
        var now = clock.GetUtcNow().UtcDateTime;
        name = string.IsNullOrWhiteSpace(name) ? $"key {now:yyyy-MM-dd HH:mm}" : name.Trim();
        if (name.Length > MaxNameLength) return Outcome.Fail<CreatedKey>($"A key name has at most {MaxNameLength} characters.");
        if (expiresAt is { } expiry && expiry.ToUniversalTime() <= now) return Outcome.Fail<CreatedKey>("The expiry must be in the future.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var team = await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.Id == teamId, ct);
        if (team is null) return Outcome.Fail<CreatedKey>("That team no longer exists.");
        if (projectId is { } pid && !await db.Projects.AnyAsync(p => p.Id == pid && p.TeamId == teamId, ct))
            return Outcome.Fail<CreatedKey>($"That project is not one of {team.Name}'s.");

        var plaintext = KeySecret.NewPlaintext();
        var key = new ApiKey
        {
            Id = Guid.NewGuid(), TeamId = teamId, Name = name, Prefix = KeySecret.PrefixOf(plaintext),
            Hash = KeySecret.HashOf(plaintext), CreatedAt = now, CreatedBy = actor.Name,
            ExpiresAt = expiresAt?.ToUniversalTime(), ProjectId = projectId,
        };
        db.ApiKeys.Add(key);
        var expiryNote = key.ExpiresAt is { } e ? $", expires {e:yyyy-MM-dd HH:mm}Z" : "";
        await audit.SaveAsync(db, actor.Name, "key.created", $"key:{key.Prefix}", $"'{name}' for {team.Name}{expiryNote}", ct);
        await KeysChangedAsync(ct);
        return new CreatedKey(key, plaintext);
    }

    /// <summary>The longest a rotated key keeps working beside its replacement.</summary>
    public static readonly TimeSpan LongestGrace = TimeSpan.FromDays(7);

    /// <summary>
    /// Replaces a key with a new one for the same team, project, name and limits; the old key keeps working for
    /// <paramref name="grace"/> (it then expires), so callers can move to the new one without an outage.
    /// </summary>
    public async Task<Outcome<CreatedKey>> RotateAsync(Actor actor, Guid keyId, TimeSpan grace, CancellationToken ct = default)
    {
        if (grace < TimeSpan.Zero || grace > LongestGrace) return Outcome.Fail<CreatedKey>($"The grace period is between 0 and {LongestGrace.TotalDays:0} days.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var old = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId, ct);
        if (old is null) return Outcome.Fail<CreatedKey>("No key matches.");
        if (!(await teams.ManagedByAsync(actor, ct)).Includes(old.TeamId))
            return Outcome.Fail<CreatedKey>("You can rotate keys only of teams you manage.");
        var now = clock.GetUtcNow().UtcDateTime;
        if (old.StatusAt(now) != ApiKeyStatus.Active) return Outcome.Fail<CreatedKey>($"{old.Prefix}… is {old.StatusAt(now).ToString().ToLowerInvariant()} already: create a new key instead.");

        var plaintext = KeySecret.NewPlaintext();
        var key = new ApiKey
        {
            Id = Guid.NewGuid(), TeamId = old.TeamId, ProjectId = old.ProjectId, Name = old.Name, Prefix = KeySecret.PrefixOf(plaintext),
            Hash = KeySecret.HashOf(plaintext), CreatedAt = now, CreatedBy = actor.Name, ExpiresAt = old.ExpiresAt,
            RequestsPerMinute = old.RequestsPerMinute, TokensPerMinute = old.TokensPerMinute, CallerCeilingCalls = old.CallerCeilingCalls,
        };
        var until = now + grace;
        if (old.ExpiresAt is not { } expiry || expiry > until) old.ExpiresAt = until;
        db.ApiKeys.Add(key);
        await audit.SaveAsync(db, actor.Name, "key.rotated", $"key:{old.Prefix}", $"'{old.Name}' replaced by {key.Prefix}…; the old key works until {old.ExpiresAt:yyyy-MM-dd HH:mm}Z", ct);
        await KeysChangedAsync(ct);
        return new CreatedKey(key, plaintext);
    }

    public async Task<Outcome<ApiKey>> RevokeAsync(Actor actor, Guid keyId, CancellationToken ct = default) =>
        await RevokeWhereAsync(actor, k => k.Id == keyId, ct);

    public async Task<Outcome<ApiKey>> RevokeByPrefixAsync(Actor actor, string prefix, CancellationToken ct = default) =>
        await RevokeWhereAsync(actor, k => k.Prefix == prefix.Trim(), ct);

    private async Task<Outcome<ApiKey>> RevokeWhereAsync(Actor actor, System.Linq.Expressions.Expression<Func<ApiKey, bool>> which, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.FirstOrDefaultAsync(which, ct);
        if (key is null) return Outcome.Fail<ApiKey>("No key matches.");
        if (!(await teams.ManagedByAsync(actor, ct)).Includes(key.TeamId))
            return Outcome.Fail<ApiKey>("You can revoke keys only of teams you manage.");
        if (key.RevokedAt is not null) return Outcome.Fail<ApiKey>($"{key.Prefix}… was already revoked.");

        key.RevokedAt = clock.GetUtcNow().UtcDateTime;
        key.RevokedBy = actor.Name;
        await audit.SaveAsync(db, actor.Name, "key.revoked", $"key:{key.Prefix}", $"'{key.Name}'", ct);
        await KeysChangedAsync(ct);
        return key;
    }

    /// <summary>This node's gateway sees the change before the caller hears back; other nodes within seconds.</summary>
    private async Task KeysChangedAsync(CancellationToken ct)
    {
        await ring.ReloadAsync(ct);
        events.Publish(new KeysChanged());
    }
}
