using System.Collections.Frozen;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Infrastructure.Telemetry;

/// <summary>
/// Team names for metric labels and span attributes, from an in-memory snapshot, so the hot path labels a call with
/// one dictionary lookup and no database. Reloaded every <see cref="Interval"/>, and soon after a lookup misses (a
/// team created a moment ago): until then that team's calls are labelled "unknown". A renamed team starts new series
/// under its new name, as Prometheus labels do.
/// </summary>
public sealed partial class TeamLabels(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock, ILogger<TeamLabels> logger)
{
    public const string Unknown = "unknown";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MissReloadGap = TimeSpan.FromSeconds(5);

    private volatile FrozenDictionary<Guid, string> _names = FrozenDictionary<Guid, string>.Empty;
    private int _reloading;
    private long _lastMissReload = long.MinValue / 2;

    public string Of(Guid teamId)
    {
        if (_names.TryGetValue(teamId, out var name)) return name;
        ReloadSoon();
        return Unknown;
    }

    public async Task ReloadAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().Select(t => new { t.Id, t.Name }).ToListAsync(ct);
        _names = teams.ToFrozenDictionary(t => t.Id, t => t.Name);
    }

    /// <summary>One reload at a time, and at most one per <see cref="MissReloadGap"/> for misses: a flood of calls of a deleted team asks once.</summary>
    private void ReloadSoon()
    {
        var now = clock.GetTimestamp();
        if (clock.GetElapsedTime(Interlocked.Read(ref _lastMissReload), now) < MissReloadGap) return;
        if (Interlocked.CompareExchange(ref _reloading, 1, 0) != 0) return;
        Interlocked.Exchange(ref _lastMissReload, now);
        _ = Task.Run(async () =>
        {
            try
            {
                await ReloadAsync(CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogReloadFailed(logger, ex);
            }
            finally
            {
                Volatile.Write(ref _reloading, 0);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading team names for metrics failed; the previous names stay in use")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}

/// <summary>Loads <see cref="TeamLabels"/> at start and refreshes it on a timer (only when metrics or traces are on).</summary>
internal sealed partial class TeamLabelsRefresher(TeamLabels labels, ILogger<TeamLabelsRefresher> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await TryReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TeamLabels.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await TryReloadAsync(stoppingToken);
    }

    private async Task TryReloadAsync(CancellationToken ct)
    {
        try
        {
            await labels.ReloadAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReloadFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading team names for metrics failed; calls are labelled 'unknown' until the next try")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
