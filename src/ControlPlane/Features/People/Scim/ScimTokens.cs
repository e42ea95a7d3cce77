using System.Security.Cryptography;
using System.Text;
using ControlPlane.Features.Audit;
using ControlPlane.Features.SignInSettings;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.People.Scim;

/// <summary>A token just created: the only moment its plaintext exists outside the identity provider's settings.</summary>
public sealed record NewScimToken(ScimToken Token, string Plaintext);

/// <summary>SCIM bearer tokens: an Owner creates one per identity provider (shown once), revokes it, sees when it was last used.</summary>
public sealed class ScimTokens(IDbContextFactory<ControlPlaneDb> dbFactory, ConfiguredProviders providers, AuditLog audit, TimeProvider clock)
{
    public const string PlaintextStart = "scim-";

    /// <summary>A token's last use is written at most this often, so a busy sync does not write on every request.</summary>
    private static readonly TimeSpan LastUsedGranularity = TimeSpan.FromMinutes(1);

    public static bool MayManage(Actor actor) => actor.Role == Roles.Owner;

    public async Task<Outcome<NewScimToken>> CreateAsync(Actor actor, string provider, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<NewScimToken>("Only an Owner can create SCIM tokens.");
        var name = providers.Canonical(provider ?? "");
        if (name is null) return Outcome.Fail<NewScimToken>($"No identity provider is configured as '{provider}' (Auth:Oidc or Auth:Saml).");

        var plaintext = PlaintextStart + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = new ScimToken
        {
            Id = Guid.NewGuid(), Provider = name, Prefix = plaintext[..13], Hash = HashOf(plaintext),
            CreatedAt = clock.GetUtcNow().UtcDateTime, CreatedBy = actor.Name,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Set<ScimToken>().Add(token);
        await audit.SaveAsync(db, actor.Name, "scim.token_created", $"scim-token:{token.Id}", $"{name} {token.Prefix}…", ct);
        return new NewScimToken(token, plaintext);
    }

    public async Task<Outcome<ScimToken>> RevokeAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<ScimToken>("Only an Owner can revoke SCIM tokens.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.Set<ScimToken>().FirstOrDefaultAsync(t => t.Id == id, ct);
        if (token is null) return Outcome.Fail<ScimToken>("No such token.");
        if (token.RevokedAt is not null) return Outcome.Fail<ScimToken>("This token is already revoked.");
        token.RevokedAt = clock.GetUtcNow().UtcDateTime;
        token.RevokedBy = actor.Name;
        await audit.SaveAsync(db, actor.Name, "scim.token_revoked", $"scim-token:{token.Id}", $"{token.Provider} {token.Prefix}…", ct);
        return token;
    }

    public async Task<IReadOnlyList<ScimToken>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<ScimToken>().AsNoTracking().OrderBy(t => t.Provider).ThenByDescending(t => t.CreatedAt).ToListAsync(ct);
    }

    /// <summary>The provider an unrevoked token speaks for, or null; notes its use.</summary>
    public async Task<string?> ProviderOfAsync(string plaintext, CancellationToken ct = default)
    {
        var hash = HashOf(plaintext);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.Set<ScimToken>().AsNoTracking().FirstOrDefaultAsync(t => t.Hash == hash && t.RevokedAt == null, ct);
        if (token is null) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        if (token.LastUsedAt is not { } used || now - used >= LastUsedGranularity)
            await db.Set<ScimToken>().Where(t => t.Id == token.Id).ExecuteUpdateAsync(t => t.SetProperty(x => x.LastUsedAt, now), ct);
        return token.Provider;
    }

    public static string HashOf(string plaintext) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plaintext)));
}
