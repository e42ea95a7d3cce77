using System.Globalization;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Notifications;
using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Overview;

/// <summary>
/// Hourly (once per cluster): the Overview's anomaly detection (<see cref="SpendAnomalies"/>) over the whole
/// organisation, and one <see cref="AlertKinds.Anomaly"/> alert per anomalous hour of a key or a team, for that team
/// (a key's anomaly goes to its team). Only the last <see cref="RecentHours"/> hours are alerted (an older anomaly was
/// alerted by an earlier run); the dedup key names the subject and the hour, so a run that overlaps the previous one
/// (or runs twice) raises nothing new.
/// </summary>
public sealed class AnomalyAlerts(SpendAnomalies anomalies, IAlerts alerts, TimeProvider clock) : IScheduledJob
{
    public const string JobId = "alerts.anomalies";
    /// <summary>The hour now running and the two before it: an hourly run misses none, a late one too.</summary>
    public const int RecentHours = 3;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var from = RollupGrain.BucketOf(RollupGrain.Hour, clock.GetUtcNow().UtcDateTime).AddHours(1 - RecentHours);
        foreach (var anomaly in await anomalies.FindAsync(OverviewScope.Everything, ct: cancellationToken))
            if (anomaly.Hour >= from)
                await alerts.RaiseAsync(AlertOf(anomaly), cancellationToken);
    }

    internal static Alert AlertOf(SpendAnomaly anomaly)
    {
        var hour = anomaly.Hour.ToString("yyyy-MM-dd HH:00", CultureInfo.InvariantCulture);
        return new Alert(
            AlertKinds.Anomaly,
            $"Unusual spend: {anomaly.Subject}, hour from {hour} UTC",
            $"The {anomaly.Subject} {anomaly.Reason}.\nOpen the Overview to see it beside the rest of the spend.",
            anomaly.Z >= 2 * AnomalyRules.Default.Threshold ? AlertSeverity.Critical : AlertSeverity.Warning,
            TeamId: anomaly.TeamId,
            Link: "/",
            DedupKey: $"anomaly:{anomaly.SubjectKind}:{anomaly.SubjectId}:{anomaly.Hour.ToString("yyyyMMddHH", CultureInfo.InvariantCulture)}",
            Facts: new Dictionary<string, string>
            {
                ["Subject"] = anomaly.Subject,
                ["Hour (UTC)"] = hour,
                ["Deviation"] = anomaly.Z.ToString("0.0", CultureInfo.InvariantCulture) + "σ",
            });
    }
}
