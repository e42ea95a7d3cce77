using ControlPlane.Features.Audit;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Limits;

/// <summary>A key's limits beside money; null: no limit (for the caller ceiling: the configured default).</summary>
public sealed record KeyLimits(int? RequestsPerMinute, int? TokensPerMinute, int? CallerCeilingCalls);

/// <summary>
/// Sets a key's limits beside money: Owners and Admins for any key, a team lead for their teams' keys, but only to
/// tighten them. Every change is audited, and this node's gateway applies it before the caller hears back (other
/// nodes within seconds, when their key rings reload).
/// <para>
/// Why tighten-only rather than remembering who set a limit: a limit may have been set by an Admin (to stop a
/// runaway job) and then tightened by a lead; the lead lifting "their own" change would lift the Admin's too. A lead
/// may always make a key safer; making it less safe (a higher limit, or none) is an Owner's or an Admin's call.
/// </para>
/// </summary>
public sealed class KeyLimitsService(
    IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, AuditLog audit, KeyRing ring, EventBus events, IOptions<LimitsOptions> options)
{
    public async Task<Outcome<KeyLimits>> SetAsync(
        Actor actor, Guid keyId, int? requestsPerMinute, int? tokensPerMinute, int? callerCeiling, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (requestsPerMinute is <= 0 || tokensPerMinute is <= 0 || callerCeiling is <= 0)
            return Outcome.Fail<KeyLimits>("A limit is a positive whole number, or empty for none.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId, ct);
        if (key is null) return Outcome.Fail<KeyLimits>("No key matches.");
        if (!(await teams.ManagedByAsync(actor, ct)).Includes(key.TeamId))
            return Outcome.Fail<KeyLimits>("You can change limits only of keys of teams you manage.");

        if (!actor.CanManageAllTeams && Lifted(key, requestsPerMinute, tokensPerMinute, callerCeiling) is { } lifted)
            return Outcome.Fail<KeyLimits>($"Team leads can only tighten a key's limits; raising or removing the {lifted} needs an Owner or an Admin.");

        key.RequestsPerMinute = requestsPerMinute;
        key.TokensPerMinute = tokensPerMinute;
        key.CallerCeilingCalls = callerCeiling;
        await audit.SaveAsync(db, actor.Name, "key.limits", $"key:{key.Prefix}", Describe(key.Name, requestsPerMinute, tokensPerMinute, callerCeiling), ct);
        await ring.ReloadAsync(ct);
        events.Publish(new KeysChanged());
        return new KeyLimits(requestsPerMinute, tokensPerMinute, callerCeiling);
    }

    /// <summary>The first limit the new values would loosen (raise, or remove), or null when every one stays or tightens.</summary>
    private string? Lifted(ApiKey key, int? requestsPerMinute, int? tokensPerMinute, int? callerCeiling)
    {
        static long Effective(int? limit) => limit ?? long.MaxValue; // no limit is the loosest
        var defaultCeiling = options.Value.CallerCeiling.Calls;
        long Ceiling(int? calls) => calls ?? (defaultCeiling > 0 ? defaultCeiling : long.MaxValue);
        if (Effective(requestsPerMinute) > Effective(key.RequestsPerMinute)) return "requests-per-minute limit";
        if (Effective(tokensPerMinute) > Effective(key.TokensPerMinute)) return "tokens-per-minute limit";
        if (Ceiling(callerCeiling) > Ceiling(key.CallerCeilingCalls)) return "caller ceiling";
        return null;
    }

    private string Describe(string name, int? requestsPerMinute, int? tokensPerMinute, int? callerCeiling)
    {
        var ceiling = options.Value.CallerCeiling;
        var window = $"{ceiling.WindowMinutes} min";
        var perCaller = callerCeiling is { } calls ? $"{calls:N0} calls per caller per {window}"
            : ceiling.Calls > 0 ? $"default caller ceiling ({ceiling.Calls:N0} calls per {window})"
            : "no caller ceiling";
        return $"'{name}': {(requestsPerMinute is { } r ? $"{r:N0} requests/min" : "no requests/min limit")}, "
            + $"{(tokensPerMinute is { } t ? $"{t:N0} tokens/min" : "no tokens/min limit")}, {perCaller}";
    }
}
