using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.AdminTokens;

/// <summary>A token just made: the only moment its plaintext exists outside the caller's hands.</summary>
public sealed record NewAdminToken(AdminToken Token, string Plaintext);

/// <summary>What a new admin token may do and for how long.</summary>
public sealed class AdminTokenForm
{
    public string Name { get; set; } = "";
    public string Role { get; set; } = Roles.Auditor;
    /// <summary>Empty: every team the role reaches; else only these teams and their subteams.</summary>
    public List<Guid> TeamIds { get; set; } = [];
    public int ExpiresInDays { get; set; } = AdminTokenService.DefaultDays;
}

/// <summary>
/// Admin tokens: an Owner or Admin creates one (shown once) with a role no greater than theirs, optionally limited to
/// teams, expiring within a year; revokes it; sees when it was last used. Each use signs the request in as its creator
/// with the token's role (<see cref="AdminTokenAuthentication"/>), and is audited at most once per token per minute.
/// </summary>
public sealed class AdminTokenService(IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog audit, TimeProvider clock)
{
    public const string PlaintextStart = "cp_admin_";
    public const int PrefixLength = 17; // cp_admin_ + 8
    public const int DefaultDays = 90;
    public const int LongestDays = 365;
    public const int MaxNameLength = 100;
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A token's use is written (last used at, an audit entry) at most this often.</summary>
    public static readonly TimeSpan UseGranularity = TimeSpan.FromMinutes(1);

    public static bool MayManage(Actor actor) => actor.ManagesAllTeamsByRole && actor.UserId is not null;

    /// <summary>
    /// The roles <paramref name="role"/> may put on a token: an Owner any; an Admin those whose rights are within an
    /// Admin's (not Owner, not FinanceAdmin, who moves money an Admin cannot); nobody else any.
    /// </summary>
    public static IReadOnlyList<string> GrantableBy(string role) => role switch
    {
        Roles.Owner => Roles.All,
        Roles.Admin => [Roles.Admin, Roles.TeamLead, Roles.Member, Roles.Auditor],
        _ => [],
    };

    public static bool LooksLikeToken(string? value) => value is { Length: > PrefixLength and <= 200 } && value.StartsWith(PlaintextStart, StringComparison.Ordinal);

    public async Task<Outcome<NewAdminToken>> CreateAsync(Actor actor, AdminTokenForm form, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<NewAdminToken>("Only an Owner or Admin can create admin tokens.");
        var name = (form.Name ?? "").Trim();
        if (name.Length is 0 or > MaxNameLength) return Outcome.Fail<NewAdminToken>($"A token needs a name of at most {MaxNameLength} characters.");
        if (!GrantableBy(actor.Role).Contains(form.Role))
            return Outcome.Fail<NewAdminToken>($"You can give a token one of these roles: {string.Join(", ", GrantableBy(actor.Role))}.");
        if (form.ExpiresInDays is < 1 or > LongestDays) return Outcome.Fail<NewAdminToken>($"A token expires in 1 to {LongestDays} days.");
        var teams = form.TeamIds.Distinct().ToList();
        // A token limited to teams makes only tokens within those teams.
        if (actor.TeamLimit is { } limit && (teams.Count == 0 || teams.Any(t => !limit.Contains(t))))
            return Outcome.Fail<NewAdminToken>("A token limited to teams can make tokens only for those teams.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (teams.Count > 0 && await db.Teams.CountAsync(t => teams.Contains(t.Id), ct) != teams.Count)
            return Outcome.Fail<NewAdminToken>("One of those teams no longer exists.");
        var now = clock.GetUtcNow().UtcDateTime;
        var plaintext = PlaintextStart + RandomNumberGenerator.GetString(Alphabet, 40);
        var token = new AdminToken
        {
            Id = Guid.CreateVersion7(), Name = name, Prefix = plaintext[..PrefixLength], Hash = HashOf(plaintext), Role = form.Role,
            TeamIds = teams.Count == 0 ? null : string.Join(',', teams), CreatedById = actor.UserId!.Value, CreatedBy = actor.Name,
            CreatedAt = now, ExpiresAt = now.AddDays(form.ExpiresInDays),
        };
        db.Set<AdminToken>().Add(token);
        await audit.SaveAsync(db, actor.Name, "admin_token.created", $"admin-token:{token.Id}",
            $"'{name}' {token.Prefix}… as {token.Role}{(teams.Count == 0 ? "" : $" limited to {teams.Count} team(s)")}, expires {token.ExpiresAt:yyyy-MM-dd}", ct);
        return new NewAdminToken(token, plaintext);
    }

    /// <summary>An Owner sees every token; an Admin their own.</summary>
    public async Task<IReadOnlyList<AdminToken>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = db.Set<AdminToken>().AsNoTracking();
        if (actor.Role != Roles.Owner) all = all.Where(t => t.CreatedById == actor.UserId);
        return await all.OrderByDescending(t => t.CreatedAt).ToListAsync(ct);
    }

    public async Task<Outcome<AdminToken>> RevokeAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<AdminToken>("Only an Owner or Admin can revoke admin tokens.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.Set<AdminToken>().FirstOrDefaultAsync(t => t.Id == id, ct);
        if (token is null || (actor.Role != Roles.Owner && token.CreatedById != actor.UserId)) return Outcome.Fail<AdminToken>("No such token.");
        if (token.RevokedAt is not null) return Outcome.Fail<AdminToken>("This token is already revoked.");
        token.RevokedAt = clock.GetUtcNow().UtcDateTime;
        token.RevokedBy = actor.Name;
        await audit.SaveAsync(db, actor.Name, "admin_token.revoked", $"admin-token:{token.Id}", $"'{token.Name}' {token.Prefix}…", ct);
        return token;
    }

    /// <summary>
    /// The person a presented token signs in, or why not. The creator must still be active and still allowed to hand out
    /// the token's role (a demoted Admin's tokens stop working). A use is recorded and audited at most once a minute.
    /// </summary>
    public async Task<(ClaimsPrincipal? Principal, string? Refusal)> SignInAsync(string plaintext, string request, CancellationToken ct = default)
    {
        var hash = HashOf(plaintext);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.Set<AdminToken>().FirstOrDefaultAsync(t => t.Hash == hash, ct);
        if (token is null) return (null, "unknown token");
        var now = clock.GetUtcNow().UtcDateTime;
        var creator = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == token.CreatedById, ct);
        var refusal = token.RevokedAt is not null ? "revoked token"
            : token.ExpiresAt <= now ? "expired token"
            : creator is null || !creator.IsActive ? "its creator is no longer an active user"
            : !GrantableBy(creator.Role).Contains(token.Role) ? $"its creator ({creator.Role}) may no longer hand out {token.Role}"
            : null;
        if (refusal is not null) return (null, refusal);

        if (token.LastUsedAt is not { } used || now - used >= UseGranularity)
        {
            token.LastUsedAt = now;
            await audit.SaveAsync(db, creator!.Email, "admin_token.used", $"admin-token:{token.Id}", $"{token.Prefix}… {request} (first use this minute)", ct);
        }
        return (PrincipalFor(token, creator!), null);
    }

    /// <summary>The same shape as a cookie sign-in (<see cref="PeopleDirectory.PrincipalFor"/>) with the token's role and teams.</summary>
    private static ClaimsPrincipal PrincipalFor(AdminToken token, User creator)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, creator.Id.ToString()),
            new(ClaimTypes.Name, creator.DisplayName),
            new(ClaimTypes.Email, creator.Email),
            new(ClaimTypes.Role, token.Role),
            new(ClaimTypes.AuthenticationMethod, "admin-token"),
            new(Policies.AdminTokenClaim, token.Id.ToString()),
        ];
        claims.AddRange(token.Teams.Select(t => new Claim(Policies.TeamLimitClaim, t.ToString())));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Policies.AdminTokenScheme));
    }

    public static string HashOf(string plaintext) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plaintext)));
}
