using ControlPlane.Features.Overview;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.Digests;

/// <summary>
/// Puts one reader's digest together from the Overview's queries, scoped as the reader's own Overview is
/// (<see cref="OverviewScopes"/>): a team lead reads their teams and subteams, a finance admin the organisation.
/// </summary>
public sealed class DigestBuilder(OverviewScopes scopes, SpendBreakdown breakdown, TopSpenders spenders, WalletWatch wallets, SpendAnomalies anomalies)
{
    public async Task<DigestReport> BuildAsync(Actor reader, DigestPeriod period, CancellationToken ct = default)
    {
        var scope = await scopes.ForAsync(reader, ct);
        var models = await breakdown.SlicesAsync(scope, period.Buckets, SpendDimension.Model, ct);
        var before = await breakdown.SlicesAsync(scope, period.Previous.Buckets, SpendDimension.Model, ct);
        var top = await spenders.ReadAsync(scope, period.Buckets, ct);
        var atRisk = (await wallets.ReadAsync(reader, ct)).Where(w => w.Level != WalletLevel.Normal || w.RunsOutAt is not null).ToList();
        var unusual = await anomalies.ReadAsync(scope, ct: ct);
        var audience = scope.IsEverything ? "The whole organisation" : "Your teams and their subteams";
        return new DigestReport(period, audience, models.Sum(m => m.Total), models.Sum(m => m.Calls), before.Sum(m => m.Total),
            models, top, atRisk, unusual, scope);
    }
}
