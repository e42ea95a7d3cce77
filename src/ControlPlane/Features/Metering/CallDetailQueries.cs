using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering;

/// <summary>
/// What the Requests page's drawer shows beyond the row: the prices the call was costed at (the price in force for its
/// provider's model when it started), the failovers its route reason records, and the kept prompt and completion when
/// its team keeps them (and they have not expired).
/// </summary>
public sealed record CallDetail(CallRow Call, PriceRate? Price, IReadOnlyList<string> Failovers, string? Request, string? Response)
{
    /// <summary>The registry prompt the gateway rendered into the call, e.g. "support-reply v3 (production)"; null for none.</summary>
    public string? Prompt { get; init; }
}

/// <summary>Names a prompt version for the call details (Features/Prompts answers; the call log keeps only the ids).</summary>
public interface ICallPromptNames
{
    Task<string?> DescribeAsync(Guid versionId, string? label, CancellationToken ct);
}

public sealed class CallDetailQueries(IDbContextFactory<ControlPlaneDb> dbFactory, CallQueries calls, IEnumerable<ICallPromptNames> promptNames)
{
    public async Task<CallDetail?> FindAsync(Actor actor, Guid callId, CancellationToken ct = default)
    {
        // Scoped as the page: a call the actor may not see is not found.
        if (await calls.FindAsync(actor, callId, ct) is not { } row) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var extra = await db.Calls.AsNoTracking().Where(c => c.Id == callId).Select(c => new { c.ProviderId, c.PromptVersionId, c.PromptLabel }).FirstOrDefaultAsync(ct);
        var providerId = extra?.ProviderId;
        PriceRate? rate = null;
        if (providerId is { } provider && row.ModelServed is { } model)
        {
            var prices = await db.Prices.AsNoTracking().Where(p => p.ProviderId == provider && p.UpstreamModel == model).ToListAsync(ct);
            rate = new PriceBook(prices).TryGetRate(provider, model, row.At, out var found) ? found : null;
        }
        var payload = await db.CallPayloads.AsNoTracking().Where(p => p.CallId == callId).FirstOrDefaultAsync(ct);
        string? prompt = null;
        if (extra?.PromptVersionId is { } versionId)
            foreach (var names in promptNames) prompt ??= await names.DescribeAsync(versionId, extra.PromptLabel, ct);
        return new CallDetail(row, rate, FailoversIn(row.RouteReason), payload?.Request, payload?.Response) { Prompt = prompt };
    }

    /// <summary>The "provider: error" entries of a route reason's "after failover (…; …)", in order; none without.</summary>
    public static IReadOnlyList<string> FailoversIn(string? routeReason)
    {
        const string marker = "after failover (";
        var start = routeReason?.IndexOf(marker, StringComparison.Ordinal) ?? -1;
        if (start < 0) return [];
        var rest = routeReason![(start + marker.Length)..];
        var end = rest.LastIndexOf(')');
        return [.. (end < 0 ? rest : rest[..end]).Split("; ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }
}
