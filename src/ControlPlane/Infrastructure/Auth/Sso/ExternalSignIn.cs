using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth.Sso;

/// <summary>How a single sign-on ended: the person to start a session for, or why nobody gets one.</summary>
public sealed record ExternalSignInResult(User? User, SignInFailure? Failure)
{
    public bool Succeeded => User is not null;
}

/// <summary>
/// Protocol-neutral sign-in after a provider vouched for someone (OIDC, SAML): finds the person by their link to the
/// provider or, the first time, by e-mail (then links them), or creates them just in time; refreshes their role and the
/// team places that mapping rules decide; switches off someone left with no mapped group. Every outcome is audited.
/// </summary>
public sealed partial class ExternalSignIn(
    IDbContextFactory<ControlPlaneDb> dbFactory, GroupRoleMapper mapper, IOptionsMonitor<RoleMappingOptions> mappings,
    AuditLog audit, SessionCheck sessions, TimeProvider clock, ILogger<ExternalSignIn> logger)
{
    /// <summary>The organisation a person created just in time joins when the database has none yet.</summary>
    public const string FirstOrganizationName = "Organisation";

    public async Task<ExternalSignInResult> SignInAsync(ExternalIdentity identity, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(identity.Subject))
            return await RefuseAsync(identity, null, SignInFailure.NoSubject, ct);
        if (string.IsNullOrWhiteSpace(identity.Email) || !identity.Email.Contains('@', StringComparison.Ordinal))
            return await RefuseAsync(identity, null, SignInFailure.NoEmail, ct);
        try
        {
            return await SignInOnceAsync(identity, ct);
        }
        catch (DbUpdateException)
        {
            // Two first sign-ins of the same person at once (unique e-mail or link): the other one won; find theirs.
            return await SignInOnceAsync(identity, ct);
        }
    }

    private async Task<ExternalSignInResult> SignInOnceAsync(ExternalIdentity identity, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var access = mapper.Map(identity.Provider, identity.Groups);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var link = await db.Set<ExternalLogin>().FirstOrDefaultAsync(l => l.Provider == identity.Provider && l.Subject == identity.Subject, ct);
        var user = link is not null
            ? await db.Users.FirstOrDefaultAsync(u => u.Id == link.UserId, ct)
            : await FindByEmailAsync(db, identity.Email, ct);
        var entries = new List<(string Actor, string Action, string Target, string Details)>();
        var byProvider = $"sso:{identity.Provider}";

        if (!access.HasAccess)
        {
            if (user is { IsActive: true })
            {
                // Losing every mapped group is losing access: switched off, and every open session ends with it.
                user.IsActive = false;
                user.InactiveReason = InactiveReasons.NoMappedGroup;
                user.SessionVersion++;
                await audit.SaveAsync(db, byProvider, "user.deactivated", $"user:{user.Id}",
                    $"{user.Email}: no mapped group in [{string.Join(", ", identity.Groups)}]", ct);
                sessions.Forget(user.Id);
            }
            return await RefuseAsync(identity, user, SignInFailure.NoMappedGroup, ct, db);
        }

        if (user is null)
        {
            user = new User
            {
                Id = Guid.NewGuid(), OrganizationId = await OrganizationIdAsync(db, now, ct), Email = identity.Email.Trim(),
                DisplayName = string.IsNullOrWhiteSpace(identity.DisplayName) ? identity.Email.Trim() : identity.DisplayName.Trim(),
                Role = access.Role!, CreatedAt = now,
            };
            db.Users.Add(user);
            entries.Add((byProvider, "user.created", $"user:{user.Id}", $"{user.Email} as {user.Role} (just in time): {Because(access)}"));
        }
        else
        {
            if (!user.IsActive)
            {
                if (!InactiveReasons.LiftedBySignIn(user.InactiveReason))
                    return await RefuseAsync(identity, user, SignInFailure.SwitchedOff, ct, db);
                user.IsActive = true;
                user.InactiveReason = null;
                entries.Add((byProvider, "user.reactivated", $"user:{user.Id}", $"{user.Email}: mapped group regained: {Because(access)}"));
            }
            if (user.Role != access.Role)
            {
                entries.Add((byProvider, "user.role_changed", $"user:{user.Id}", $"{user.Email}: {user.Role} → {access.Role}: {Because(access)}"));
                user.Role = access.Role!;
            }
        }

        foreach (var change in await SyncTeamsAsync(db, user, identity.Provider, access, now, ct))
            entries.Add((byProvider, "user.team_changed", $"user:{user.Id}", $"{user.Email}: {change}"));

        if (link is null)
        {
            link = new ExternalLogin { Provider = identity.Provider, Subject = identity.Subject, UserId = user.Id, CreatedAt = now };
            db.Set<ExternalLogin>().Add(link);
        }
        link.LastSignInAt = now;
        entries.Add((user.Email, "user.signed_in", $"user:{user.Id}", $"{byProvider} as {user.Role}: {Because(access)}"));

        // The first entry carries every change above in its transaction; the rest follow it.
        foreach (var (actor, action, target, details) in entries)
            await audit.SaveAsync(db, actor, action, target, details, ct);
        sessions.Forget(user.Id);
        LogSignedIn(logger, identity.Provider, user.Id, user.Role);
        return new ExternalSignInResult(user, null);
    }

    private async Task<ExternalSignInResult> RefuseAsync(ExternalIdentity identity, User? user, SignInFailure failure, CancellationToken ct, ControlPlaneDb? open = null)
    {
        LogRefused(logger, identity.Provider, failure.Code, identity.Subject);
        var db = open ?? await dbFactory.CreateDbContextAsync(ct);
        try
        {
            var target = user is null ? $"sso:{identity.Provider}" : $"user:{user.Id}";
            var email = string.IsNullOrWhiteSpace(identity.Email) ? "(no e-mail)" : identity.Email;
            await audit.SaveAsync(db, $"sso:{identity.Provider}", "user.sign_in_refused", target, $"{email}: {failure.Message}", ct);
        }
        finally
        {
            if (open is null) await db.DisposeAsync();
        }
        return new ExternalSignInResult(null, failure);
    }

    private async Task<List<string>> SyncTeamsAsync(ControlPlaneDb db, User user, string provider, MappedAccess access, DateTime now, CancellationToken ct)
    {
        var (changes, missing) = await TeamPlaces.SyncAsync(db, user, provider, access, mappings.CurrentValue, now, ct);
        foreach (var team in missing) LogMissingTeam(logger, team);
        return changes;
    }

    /// <summary>The person with this e-mail, compared without case in the database (sign-in and <c>owner create</c>).</summary>
    internal static async Task<User?> FindByEmailAsync(ControlPlaneDb db, string email, CancellationToken ct)
    {
        var normalized = email.Trim().ToLowerInvariant();
        // ToLower() translates to SQL on every provider; string.Equals with a StringComparison does not.
#pragma warning disable CA1862
        return await db.Users.FirstOrDefaultAsync(u => u.Email.ToLower() == normalized, ct);
#pragma warning restore CA1862
    }

    private static async Task<Guid> OrganizationIdAsync(ControlPlaneDb db, DateTime now, CancellationToken ct)
    {
        var existing = await db.Organizations.OrderBy(o => o.CreatedAt).Select(o => (Guid?)o.Id).FirstOrDefaultAsync(ct);
        if (existing is { } id) return id;
        var organization = new Organization { Id = Guid.NewGuid(), Name = FirstOrganizationName, CreatedAt = now };
        db.Organizations.Add(organization);
        return organization.Id;
    }

    private static string Because(MappedAccess access) => access.Reasons.Count == 0 ? "no rule matched" : string.Join("; ", access.Reasons);

    [LoggerMessage(Level = LogLevel.Information, Message = "Single sign-on through {Provider}: person {UserId} signed in as {Role}")]
    private static partial void LogSignedIn(ILogger logger, string provider, Guid userId, string role);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on through {Provider} refused ({Reason}) for subject {Subject}")]
    private static partial void LogRefused(ILogger logger, string provider, string reason, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A role mapping rule names team '{Team}', which does not exist: nobody is placed in it")]
    private static partial void LogMissingTeam(ILogger logger, string team);
}
