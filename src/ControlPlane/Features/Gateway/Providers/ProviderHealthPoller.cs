using System.Globalization;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Notifications;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>When a provider counts as degraded or down.</summary>
public static class ProviderHealthRules
{
    /// <summary>Failed probes in a row that make a provider Down (one failure is Degraded: a blip is not an outage).</summary>
    public const int DownAfterFailures = 2;
    /// <summary>The gateway's own calls looked at: those of the last two minutes.</summary>
    public static readonly TimeSpan CallWindow = TimeSpan.FromMinutes(2);
    /// <summary>With at least this many calls in the window, half of them failing at the provider makes it Degraded.</summary>
    public const int MinCalls = 5;
    public const double FailingShare = 0.5;
    /// <summary>The longest a probe waits, whatever the provider's first-byte timeout (the poll runs every 30 s).</summary>
    public const int MaxProbeSeconds = 10;
    public const int ErrorMax = 500;

}

/// <summary>
/// Every 30 s (once per cluster): asks each enabled provider for its model list in its own wire format (the cheapest
/// request every kind answers, sent like "test connection": its own client, the address policy, no redirects), reads
/// the gateway's own outcomes with it in the call log, and stores each provider's state. A change is published on the
/// cluster bus so every node's router follows; a provider going down raises <see cref="AlertKinds.ProviderFailing"/>
/// once, and its recovery a notice. Idempotent: a second run in the same moment concludes the same.
/// </summary>
public sealed partial class ProviderHealthPoller(
    IDbContextFactory<ControlPlaneDb> dbFactory, ProviderSecrets secrets, ProviderClients clients, ProviderHealthBoard board, EventBus events,
    IAlerts alerts, IOptions<GatewayOptions> options, TimeProvider clock, ILogger<ProviderHealthPoller> logger) : IScheduledJob
{
    public const string JobId = "providers.health";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var providers = await db.Providers.AsNoTracking().ToListAsync(cancellationToken);
        var held = await db.ProviderHealth.ToDictionaryAsync(h => h.ProviderId, cancellationToken);
        var since = now - ProviderHealthRules.CallWindow;
        var calls = (await db.Calls.AsNoTracking().Where(c => c.At >= since && c.At <= now && c.ProviderId != null)
                .GroupBy(c => c.ProviderId)
                // The call log's words for a call the provider failed (not the caller's mistakes, not our refusals).
                .Select(g => new { Id = g.Key!.Value, Calls = g.Count(), Failed = g.Count(c => c.ErrorClass == "upstream_error" || c.ErrorClass == "upstream_unreachable" || c.ErrorClass == "upstream_timeout" || c.ErrorClass == "upstream_circuit_open") })
                .ToListAsync(cancellationToken))
            .ToDictionary(c => c.Id);

        // A disabled provider is not routed to: no state to keep (it starts afresh when enabled again).
        db.ProviderHealth.RemoveRange(held.Values.Where(h => !providers.Any(p => p.Id == h.ProviderId && p.Enabled)));
        var enabled = providers.Where(p => p.Enabled).ToList();
        var probes = await Task.WhenAll(enabled.Select(p => ProbeAsync(p, cancellationToken)));

        var changes = new List<(Provider Provider, ProviderHealthRecord Row, string? Before)>();
        for (var i = 0; i < enabled.Count; i++)
        {
            var provider = enabled[i];
            var probe = probes[i];
            var recent = calls.GetValueOrDefault(provider.Id);
            var row = held.GetValueOrDefault(provider.Id);
            var before = row?.State;
            if (row is null)
            {
                row = new ProviderHealthRecord { ProviderId = provider.Id, State = ProviderHealthStates.Healthy, Since = now };
                db.ProviderHealth.Add(row);
            }
            Judge(row, probe, recent?.Calls ?? 0, recent?.Failed ?? 0, now);
            if (row.State != before) changes.Add((provider, row, before));
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            // Another run wrote the same rows a moment ago (a job retried while the first was finishing): it concluded the same.
            LogRaced(logger, ex);
            return;
        }

        foreach (var (provider, row, before) in changes)
        {
            var changed = ProviderHealthChanged.Of(row, provider.Name);
            board.Apply(changed);
            events.Publish(changed); // the other nodes' boards
            LogChanged(logger, provider.Name, before ?? "unknown", row.State, row.LastError);
            if (row.State == ProviderHealthStates.Down)
                await alerts.RaiseAsync(DownAlert(provider, row), cancellationToken);
            else if (before == ProviderHealthStates.Down)
                await alerts.RaiseAsync(RecoveredAlert(provider, row), cancellationToken);
        }
        await board.LoadAsync(dbFactory, cancellationToken); // drops the disabled ones too
    }

    /// <summary>The new state from the probe and the gateway's own outcomes; <see cref="ProviderHealthRecord.Since"/> moves only on a change.</summary>
    internal static void Judge(ProviderHealthRecord row, ConnectionCheck probe, int calls, int failed, DateTime now)
    {
        // A provider that rate-limits its model list is up; the gateway's own outcomes say whether calls suffer.
        var answered = probe.Reachable || probe.Status == 429;
        row.ConsecutiveFailures = answered ? 0 : row.ConsecutiveFailures + 1;
        row.CheckedAt = now;
        row.ProbeMs = probe.Status is null ? null : (int)Math.Min(int.MaxValue, probe.Milliseconds);
        row.RecentCalls = calls;
        row.RecentFailures = failed;
        var callsFailing = calls >= ProviderHealthRules.MinCalls && failed >= calls * ProviderHealthRules.FailingShare;
        var state = !answered
            ? row.ConsecutiveFailures >= ProviderHealthRules.DownAfterFailures || (callsFailing && failed == calls) ? ProviderHealthStates.Down : ProviderHealthStates.Degraded
            : callsFailing ? ProviderHealthStates.Degraded : ProviderHealthStates.Healthy;
        if (!answered) row.LastError = Cap(probe.Message);
        else if (callsFailing) row.LastError = Cap($"{failed} of {calls} calls in the last {ProviderHealthRules.CallWindow.TotalMinutes:0} minutes failed at the provider.");
        if (state != row.State) row.Since = now;
        row.State = state;
    }

    private async Task<ConnectionCheck> ProbeAsync(Provider provider, CancellationToken ct)
    {
        try
        {
            var wait = Math.Clamp(provider.FirstByteTimeoutSeconds, 2, ProviderHealthRules.MaxProbeSeconds);
            return await ProviderService.ProbeAsync(clients, GatewayCatalog.ToEndpoint(provider, secrets), wait, options.Value.MaxProviderResponseBytes, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // e.g. a key that no longer decrypts: the provider cannot be called, which is what Down means to the router.
            LogProbeFailed(logger, ex, provider.Name);
            return new ConnectionCheck(false, null, 0, "The health check could not be sent (see the log).", [], ConnectionFailures.ConnectionFailed);
        }
    }

    private static Alert DownAlert(Provider provider, ProviderHealthRecord row) => new(
        AlertKinds.ProviderFailing,
        $"Provider {provider.Name} is down",
        $"{provider.Name} ({provider.Kind}) failed {row.ConsecutiveFailures} health check(s) in a row; down since {Time(row.Since)} UTC.\n"
            + $"Last error: {row.LastError ?? "none recorded"}\n"
            + "The gateway skips it in failover chains while another target of the model is up.",
        AlertSeverity.Critical,
        Link: "/providers",
        DedupKey: $"provider:{provider.Id}:down",
        Facts: new Dictionary<string, string>
        {
            ["Provider"] = provider.Name,
            ["State"] = row.State,
            ["Since"] = Time(row.Since) + " UTC",
            ["Failed checks"] = row.ConsecutiveFailures.ToString(CultureInfo.InvariantCulture),
        });

    private static Alert RecoveredAlert(Provider provider, ProviderHealthRecord row) => new(
        AlertKinds.ProviderFailing,
        $"Provider {provider.Name} recovered",
        $"{provider.Name} ({provider.Kind}) answers again ({row.State} since {Time(row.Since)} UTC); the gateway routes to it again.",
        AlertSeverity.Info,
        Link: "/providers",
        DedupKey: $"provider:{provider.Id}:recovered",
        Facts: new Dictionary<string, string> { ["Provider"] = provider.Name, ["State"] = row.State });

    private static string Time(DateTime at) => at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Cap(string text) => text.Length <= ProviderHealthRules.ErrorMax ? text : text[..ProviderHealthRules.ErrorMax];

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider}: {Before} → {After} ({Error})")]
    private static partial void LogChanged(ILogger logger, string provider, string before, string after, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider}: the health check could not be sent")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, string provider);

    [LoggerMessage(Level = LogLevel.Information, Message = "Another health run stored the same providers at the same time; this run's results are dropped")]
    private static partial void LogRaced(ILogger logger, Exception exception);
}
