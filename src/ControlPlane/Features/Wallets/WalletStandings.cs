using System.Collections.Concurrent;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// A wallet's numbers as the database has them now, for a refusal. <see cref="Leased"/> is what gateway nodes hold of
/// it and have not yet charged (its leases' debts added back).
/// </summary>
public sealed record WalletStanding(Guid Id, string Name, decimal? Limit, decimal? Ceiling, decimal Spent, decimal Leased, DateTime? PeriodEndsAt, DateTime ReadAt)
{
    /// <summary>What new calls may still take: the ceiling less what is spent and what nodes hold for calls in flight.</summary>
    public decimal Available => Ceiling is { } c ? Math.Max(0, c - Spent - Leased) : 0;
}

/// <summary>
/// Reads a wallet's current spent and leased totals when a call is refused, so the 402 tells the truth rather than
/// the wallet book's snapshot. A burst of refusals costs one query per wallet per <see cref="FreshFor"/>: concurrent
/// refusals share one read. This node forgets a wallet's read whenever it changes the wallet's money (a grant, a
/// return, a charge written), so only other nodes' changes of the last moment can be missing from it.
/// </summary>
public sealed class WalletStandings(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock, IOptions<OrganisationOptions> organisation)
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<Guid, Lazy<Task<WalletStanding?>>> _reads = new();

    public async Task<WalletStanding?> ReadAsync(Guid walletId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        while (true)
        {
            var read = _reads.GetOrAdd(walletId, id => new Lazy<Task<WalletStanding?>>(() => LoadAsync(id)));
            WalletStanding? standing;
            try
            {
                standing = await read.Value.WaitAsync(ct);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                _reads.TryRemove(new(walletId, read)); // a failed read is not kept
                throw;
            }
            // A read finished after this call began is always fresh enough, so this loop ends.
            if (standing is not null && now - standing.ReadAt < FreshFor) return standing;
            _reads.TryRemove(new(walletId, read));
            if (standing is null) return null;
        }
    }

    /// <summary>The wallet's money changed: the next refusal reads it again.</summary>
    public void Forget(Guid walletId) => _reads.TryRemove(walletId, out _);

    private async Task<WalletStanding?> LoadAsync(Guid walletId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var w = await db.Wallets.AsNoTracking().Where(x => x.Id == walletId)
            .Select(x => new { x.Id, x.Name, x.Limit, x.OverdraftPercent, x.Spent, x.Leased, x.Period, x.PeriodStart }).FirstOrDefaultAsync();
        if (w is null) return null;
        // A lease in debt (its calls cost more than it was granted) nets its debt out of Leased; the debt is spent,
        // not free, so it is added back: available then never counts money that is already gone.
        var debts = await db.BudgetLeases.Where(l => l.WalletId == walletId && l.ReturnedAt == null && l.Used > l.Granted).SumAsync(l => l.Used - l.Granted);
        var ceiling = w.Limit is { } limit ? limit * (1 + w.OverdraftPercent / 100m) : (decimal?)null;
        return new WalletStanding(w.Id, w.Name, w.Limit, ceiling, w.Spent, w.Leased + debts, WalletPeriods.EndOf(w.Period, w.PeriodStart, organisation.Value.Zone), clock.GetUtcNow().UtcDateTime);
    }
}
