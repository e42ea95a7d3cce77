using System.Security.Cryptography;
using System.Text;
using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.People;

/// <summary>A link just made: the only moment its token exists outside the person's hands.</summary>
public sealed record IssuedSignInLink(string Token, string Path, DateTime ExpiresAt);

/// <summary>What a link would do if used now (the GET page shows it; looking never consumes the link).</summary>
public sealed record SignInLinkPreview(bool Usable, string? Email, string? DisplayName, DateTime? ExpiresAt, string? Problem);

/// <summary>
/// One-time sign-in links: an Owner (or the command line) issues one for a person; it signs them in once, before it
/// expires (Auth:SignInLinks:Minutes). Only the token's SHA-256 is stored; issue and use are audited.
/// </summary>
public sealed partial class SignInLinks(
    IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog audit, TimeProvider clock, IOptions<SignInLinkOptions> options, ILogger<SignInLinks> logger)
{
    public const string PathPrefix = "/sign-in/link/";
    public const string AuthenticationMethod = "link";

    public async Task<Outcome<IssuedSignInLink>> IssueAsync(Actor actor, Guid userId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Role != Roles.Owner) return Outcome.Fail<IssuedSignInLink>("Only an Owner can issue a sign-in link.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null) return Outcome.Fail<IssuedSignInLink>("No such person.");
        if (!user.IsActive) return Outcome.Fail<IssuedSignInLink>($"{user.Email} is switched off; switch them back on first.");

        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow().UtcDateTime;
        var link = new SignInLink
        {
            Id = Guid.CreateVersion7(), TokenHash = HashOf(token), UserId = user.Id, CreatedBy = actor.Name,
            CreatedAt = now, ExpiresAt = now.AddMinutes(options.Value.Minutes),
        };
        db.Set<SignInLink>().Add(link);
        await audit.SaveAsync(db, actor.Name, "user.sign_in_link.created", $"user:{user.Id}",
            $"{user.Email}, expires {link.ExpiresAt:yyyy-MM-dd HH:mm}Z", ct);
        return new IssuedSignInLink(token, PathPrefix + token, link.ExpiresAt);
    }

    public async Task<SignInLinkPreview> PreviewAsync(string token, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = HashOf(token ?? "");
        var found = await (from l in db.Set<SignInLink>().AsNoTracking()
                           join u in db.Users.AsNoTracking() on l.UserId equals u.Id
                           where l.TokenHash == hash
                           select new { l.ExpiresAt, l.UsedAt, u.Email, u.DisplayName, u.IsActive }).FirstOrDefaultAsync(ct);
        if (found is null) return new(false, null, null, null, Unknown);
        var problem = Problem(found.UsedAt, found.ExpiresAt, found.IsActive);
        return new(problem is null, found.Email, found.DisplayName, found.ExpiresAt, problem);
    }

    /// <summary>
    /// Uses the link: one conditional UPDATE marks it used only if it is unused and unexpired, so of two posts at the
    /// same moment (or on two nodes) exactly one signs in.
    /// </summary>
    public async Task<Outcome<User>> RedeemAsync(string token, CancellationToken ct = default)
    {
        var hash = HashOf(token ?? "");
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var claimed = await db.Set<SignInLink>()
            .Where(l => l.TokenHash == hash && l.UsedAt == null && l.ExpiresAt > now && db.Users.Any(u => u.Id == l.UserId && u.IsActive))
            .ExecuteUpdateAsync(l => l.SetProperty(x => x.UsedAt, now), ct);
        var link = await db.Set<SignInLink>().AsNoTracking().FirstOrDefaultAsync(l => l.TokenHash == hash, ct);
        var user = link is null ? null : await db.Users.FirstOrDefaultAsync(u => u.Id == link.UserId, ct);
        if (claimed != 1 || link is null || user is null)
        {
            // Refusals are logged, not audited: anyone can post a made-up token, and the chain is for what people did.
            var why = link is null || user is null ? Unknown : Problem(link.UsedAt, link.ExpiresAt, user.IsActive) ?? Unknown;
            LogRefused(logger, user?.Id, why);
            return Outcome.Fail<User>(why);
        }
        user.LastSignInMethod = AuthenticationMethod;
        user.LastSignInAt = now;
        await audit.SaveAsync(db, user.Email, "user.sign_in_link.used", $"user:{user.Id}", $"{user.Email} signed in with a one-time link", ct);
        return user;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A one-time sign-in link was refused (person {UserId}): {Reason}")]
    private static partial void LogRefused(ILogger logger, Guid? userId, string reason);

    private const string Unknown = "This sign-in link is not valid. Ask an Owner for a new one (ControlPlane owner create).";
    private const string Inactive = "This person is switched off; an Owner must switch them back on.";

    private string? Problem(DateTime? usedAt, DateTime expiresAt, bool active) =>
        usedAt is not null ? "This sign-in link was already used; each link signs in once. Ask an Owner for a new one."
        : expiresAt <= clock.GetUtcNow().UtcDateTime ? $"This sign-in link expired at {expiresAt:yyyy-MM-dd HH:mm} UTC. Ask an Owner for a new one."
        : !active ? Inactive
        : null;

    internal static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
