using ControlPlane.Features.Notifications;
using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Audit;

/// <summary>Exports the chain's head to the log and the anchor file; a recurring job, every 5 minutes. Anchoring an unchanged head again adds nothing.</summary>
public sealed class AuditAnchorJob(AuditAnchors anchors) : IScheduledJob
{
    public const string JobId = "audit.anchor";

    public async Task RunAsync(CancellationToken cancellationToken) => await anchors.AnchorHeadAsync(cancellationToken);
}

/// <summary>
/// Walks the whole chain against its keyed hashes and the exported anchors, daily, and raises
/// <see cref="AlertKinds.AuditChainBroken"/> (critical) when a link does not hold. Reading only: running it twice
/// changes nothing, and the alert's dedup key is the first bad entry, so one break is one alert.
/// </summary>
public sealed partial class AuditChainCheck(AuditTrail trail, IAlerts alerts, ILogger<AuditChainCheck> logger) : IScheduledJob
{
    public const string JobId = "audit.verify";

    public async Task RunAsync(CancellationToken cancellationToken) => await CheckAsync(cancellationToken);

    public async Task<ChainVerdict> CheckAsync(CancellationToken ct = default)
    {
        var verdict = await trail.CheckAsync(ct);
        if (verdict.IsIntact)
        {
            LogIntact(logger, verdict.Entries, verdict.AnchorsChecked);
            return verdict;
        }
        LogBroken(logger, verdict.FirstBadSequence, verdict.Problem);
        await alerts.RaiseAsync(new Alert(AlertKinds.AuditChainBroken, "The audit chain is broken",
            $"The daily check of the audit chain found a broken link: {verdict.Problem}\nEntries checked: {verdict.Entries}. Compare with the exported anchors and the database's backups.",
            AlertSeverity.Critical, Link: "/audit", DedupKey: $"audit.broken:{verdict.FirstBadSequence}",
            Facts: new Dictionary<string, string>
            {
                ["First bad entry"] = $"#{verdict.FirstBadSequence}",
                ["Entries checked"] = verdict.Entries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }), ct);
        return verdict;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit chain intact: {Entries} entries, {Anchors} anchors checked")]
    private static partial void LogIntact(ILogger logger, long entries, int anchors);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Audit chain broken at entry {Sequence}: {Problem}")]
    private static partial void LogBroken(ILogger logger, long? sequence, string? problem);
}
