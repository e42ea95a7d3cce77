using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;

namespace ControlPlane.Features.Audit;

/// <summary>
/// What the Audit page and the exports narrow the chain to: who (part of the actor), what (an action prefix such as
/// "key." or "key.revoked"), on what (part of the target) and when (UTC, from inclusive, to exclusive). It lives in the
/// query string (actor, action, target, from, to), so a view can be linked and exported as shown.
/// </summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, string? Target = null, DateTime? From = null, DateTime? To = null)
{
    public bool IsEmpty => Actor is null && Action is null && Target is null && From is null && To is null;

    public IQueryable<AuditEntry> Apply(IQueryable<AuditEntry> entries)
    {
        if (Actor is not null) entries = entries.Where(e => e.Actor.Contains(Actor));
        if (Action is not null) entries = entries.Where(e => e.Action.StartsWith(Action));
        if (Target is not null) entries = entries.Where(e => e.Target.Contains(Target));
        if (From is { } from) entries = entries.Where(e => e.At >= from);
        if (To is { } to) entries = entries.Where(e => e.At < to);
        return entries;
    }

    /// <summary>Reads the filter from a query string; a time that does not parse is an error, not ignored.</summary>
    public static AuditFilter Parse(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> query)
    {
        var q = query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        return new AuditFilter(Text(q, "actor"), Text(q, "action"), Text(q, "target"), Time(q, "from"), Time(q, "to"));
    }

    public string ToQueryString()
    {
        var pairs = new Dictionary<string, string?>
        {
            ["actor"] = Actor, ["action"] = Action, ["target"] = Target,
            ["from"] = From?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), ["to"] = To?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        return QueryHelpers.AddQueryString("", pairs.Where(p => p.Value is not null));
    }

    private static string? Text(Dictionary<string, string> q, string name) =>
        q.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private static DateTime? Time(Dictionary<string, string> q, string name)
    {
        if (Text(q, name) is not { } text) return null;
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            throw new FormatException($"'{name}' must be a UTC date or time such as 2026-12-01 or 2026-12-01T10:00:00Z; got '{text}'.");
        return DateTime.SpecifyKind(at, DateTimeKind.Utc);
    }
}
