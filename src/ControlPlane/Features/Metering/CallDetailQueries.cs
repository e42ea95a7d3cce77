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
    /// <summary>What other features say about the call (<see cref="ICallNotes"/>).</summary>
    public IReadOnlyList<CallNote> Notes { get; init; } = [];
}

public sealed class CallDetailQueries(IDbContextFactory<ControlPlaneDb> dbFactory, CallQueries calls, IEnumerable<ICallNotes> notes)
{
    public async Task<CallDetail?> FindAsync(Actor actor, Guid callId, CancellationToken ct = default)
    {
        // Scoped as the page: a call the actor may not see is not found.
        if (await calls.FindAsync(actor, callId, ct) is not { } row) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var extra = await db.Calls.AsNoTracking().Where(c => c.Id == callId).Select(c => new { c.ProviderId }).FirstOrDefaultAsync(ct);
        var providerId = extra?.ProviderId;
        PriceRate? rate = null;
        if (providerId is { } provider && row.ModelServed is { } model)
        {
            var prices = await db.Prices.AsNoTracking().Where(p => p.ProviderId == provider && p.UpstreamModel == model).ToListAsync(ct);
            rate = new PriceBook(prices).TryGetRate(provider, model, row.At, out var found) ? found : null;
        }
        var payload = await db.CallPayloads.AsNoTracking().Where(p => p.CallId == callId).FirstOrDefaultAsync(ct);
        var added = new List<CallNote>();
        foreach (var source in notes) added.AddRange(await source.NotesAsync(callId, ct));
        return new CallDetail(row, rate, FailoversIn(row.RouteReason), payload?.Request, payload?.Response) { Notes = added };
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
