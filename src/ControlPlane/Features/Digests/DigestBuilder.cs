using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Overview;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Digests;

/// <summary>
/// Puts one reader's digest together, scoped as the reader's own Overview is (<see cref="OverviewScopes"/>): a team
/// lead reads their teams and subteams, a finance admin the organisation. The period's spend is read by
/// <see cref="DigestSpend"/> (local days in the organisation's zone); wallets at risk and anomalies by the Overview's own queries.
/// </summary>
public sealed class DigestBuilder(OverviewScopes scopes, DigestSpend spend, IDbContextFactory<ControlPlaneDb> dbFactory, WalletWatch wallets, SpendAnomalies anomalies)
{
    public async Task<DigestReport> BuildAsync(Actor reader, DigestPeriod period, CancellationToken ct = default)
    {
        var scope = await scopes.ForAsync(reader, ct);
        var parts = await spend.ReadAsync(scope, period.From, period.To, ct);
        var before = await spend.ReadAsync(scope, period.Previous.From, period.Previous.To, ct);
        var models = SpendBreakdown.Slice(
            [.. parts.GroupBy(p => p.Model, StringComparer.Ordinal)
                .Select(g => new SpendBreakdown.Sum(g.Key.Length > 0 ? g.Key : "(none)", period.From, g.Sum(p => p.Cost), g.Sum(p => p.Calls)))],
            new RangeBuckets(RollupGrain.Day, DateTime.SpecifyKind(period.From, DateTimeKind.Utc), 1));
        TopSpenderLists top;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            top = await TopSpenders.NamedAsync(db,
                parts.GroupBy(p => p.KeyId).Select(g => new TopSpenders.SpentBy<Guid>(g.Key, g.Sum(p => p.Cost), g.Sum(p => p.Calls), g.Sum(p => p.Errors))),
                parts.GroupBy(p => p.Caller, StringComparer.Ordinal).Select(g => new TopSpenders.SpentBy<string>(g.Key, g.Sum(p => p.Cost), g.Sum(p => p.Calls), g.Sum(p => p.Errors))),
                ct);
        var atRisk = (await wallets.ReadAsync(reader, ct)).Where(w => w.Level != WalletLevel.Normal || w.RunsOutAt is not null).ToList();
        var unusual = await anomalies.ReadAsync(scope, ct: ct);
        var audience = scope.IsEverything ? "The whole organisation" : "Your teams and their subteams";
        return new DigestReport(period, audience, parts.Sum(p => p.Cost), parts.Sum(p => p.Calls), before.Sum(p => p.Cost),
            models, top, atRisk, unusual, scope);
    }
}
