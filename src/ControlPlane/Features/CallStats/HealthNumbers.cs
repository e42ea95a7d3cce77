using ControlPlane.Features.People;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.CallStats;

/// <summary>The headline numbers /health gives machines: the last hour's calls and speed, and how full the wallets are.</summary>
public sealed record HealthFigures(DateTime From, DateTime To, long Requests, long Succeeded, double SuccessRate, Spread LatencyMs,
    Spread TimeToFirstTokenMs, QuotaFigures Quota);

/// <summary>Wallets with a limit, how many are past a warning threshold or exhausted, and the fullest one's use (percent).</summary>
public sealed record QuotaFigures(int LimitedWallets, int Warning, int Exhausted, decimal? HighestUsePercent);

/// <summary>
/// Computes <see cref="HealthFigures"/> at most every <see cref="CacheFor"/>, so a load balancer asking every second
/// costs one query a quarter minute. No names leave here: /health answers without signing in.
/// </summary>
public sealed class HealthNumbers(IServiceScopeFactory scopes, TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(15);

    private static readonly Actor Reader = new(null, "health", Roles.Auditor);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset At, HealthFigures Figures)? _cached;

    public async Task<HealthFigures> ReadAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        if (_cached is { } hit && now - hit.At < CacheFor) return hit.Figures;
        await _gate.WaitAsync(ct);
        try
        {
            if (_cached is { } again && now - again.At < CacheFor) return again.Figures;
            var figures = await ComputeAsync(now.UtcDateTime, ct);
            _cached = (now, figures);
            return figures;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Forgets the cached figures (tests, after writing calls).</summary>
    public void Invalidate() => _cached = null;

    private async Task<HealthFigures> ComputeAsync(DateTime now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var from = now - Window;
        var pooled = await scope.ServiceProvider.GetRequiredService<CallStatsQueries>().PooledAsync(from, now, ct);
        var wallets = (await scope.ServiceProvider.GetRequiredService<WalletQueries>().OverviewAsync(Reader, ct)).Wallets.Where(w => !w.Unlimited).ToList();
        var quota = new QuotaFigures(wallets.Count, wallets.Count(w => w.Level == WalletLevel.Warning), wallets.Count(w => w.Level == WalletLevel.Exhausted),
            wallets.Count == 0 ? null : decimal.Round(wallets.Max(w => w.Utilisation ?? 0m), 1));
        return new HealthFigures(from, now, pooled.Calls, pooled.Calls - pooled.Errors, pooled.SuccessRate, pooled.LatencyMs, pooled.TimeToFirstTokenMs, quota);
    }
}
