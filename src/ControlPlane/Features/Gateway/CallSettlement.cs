using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway;

/// <summary>What has to be settled when a call ends, however it ends: filled in as the call goes.</summary>
public sealed class Settlement
{
    public Hold? Hold { get; set; }

    /// <summary>What the hold covers now: its amount, plus whatever was topped up to fail over after a charged attempt.</summary>
    public decimal Held { get; set; }

    /// <summary>The served attempt: what the answer (or the part of it that came) used.</summary>
    public Metered? Metered { get; set; }

    /// <summary>Attempts that reached a provider and got no answer (timed out, cut, abandoned), retries and failovers included.</summary>
    public Metered? Unanswered { get; private set; }

    /// <summary>Everything the call is charged: every attempt that reached a provider.</summary>
    public Metered? Total => Metered.Sum(Metered, Unanswered);

    public void AddUnanswered(Metered attempt) => Unanswered = Metered.Sum(Unanswered, attempt);

    /// <summary>Every attempt that reached the provider and got no answer is charged its input, unless the provider says it is free.</summary>
    public void ChargeUnanswered(ProviderAttempts attempts, ProviderEndpoint provider, RequestInfo info, PriceRate? rate)
    {
        if (provider.UnansweredAttemptsFree) return;
        for (var n = attempts.Unanswered; n > 0; n--) AddUnanswered(Metered.Unanswered(info, rate));
    }
}

/// <summary>
/// The last step of every gateway call, however it ended: the row gets its usage, cost and timings, the hold is
/// settled into wallet charges, and the row goes to the call log. Nothing is ever invisible.
/// </summary>
public sealed partial class CallSettlement(ISpendGuard spend, CallLog callLog, GatewayMetrics metrics, ILogger<CallSettlement> logger)
{
    public Task FinishAsync(GatewayCall call, Settlement settlement) => FinishAsync(call, settlement.Hold, settlement.Total);

    public async Task FinishAsync(GatewayCall call, Hold? hold, Metered? metered)
    {
        var record = call.Record;
        record.LatencyMs = (int)call.Elapsed.TotalMilliseconds;
        if (call.DowngradedTo is { } cheaper)
            record.RouteReason = GatewayCall.Truncate($"budget spent, downgraded to '{cheaper}': {record.RouteReason}", CallText.RouteReasonMax);
        if (metered is { } m)
        {
            record.InputTokens = m.Usage.InputTokens;
            // Clamped as the cost was (reads and writes within the input), so the row explains its cost.
            record.CachedInputTokens = m.Usage.CacheReads;
            record.CacheWriteInputTokens = m.Usage.CacheWrites;
            record.OutputTokens = m.Usage.OutputTokens;
            record.Cost = m.Cost;
            record.Unpriced = m.Unpriced;
            record.UsageSource = m.Source;
            if (m.Source == UsageSource.Estimated)
                LogEstimated(logger, call.RequestId, record.ProviderName, record.ModelServed);
            if (record.Streamed && record.TimeToFirstTokenMs is { } ttft && record.LatencyMs > ttft && m.Usage.OutputTokens > 0)
                record.OutputTokensPerSecond = Math.Round(m.Usage.OutputTokens / ((record.LatencyMs - ttft) / 1000.0), 2);
        }
        else
        {
            record.UsageSource = UsageSource.None;
        }
        var charges = call.Key is { } key ? spend.Settle(key, hold, record.Cost) : [];
        metrics.Record(call);
        if (call.Span is not null) GatewayTracing.Settled(call, charges, metrics.TeamOf(record.TeamId));
        await callLog.RecordAsync(new MeteredCall(record, call.Payload(DateTime.UtcNow), charges));
    }

    /// <summary>
    /// Checked before any money is held: with the call-log writer dead, nothing would write this call's row and
    /// charge, so the call is refused (503, in the caller's format) rather than served unrecorded. True when refused.
    /// </summary>
    public async Task<bool> RefuseIfUnrecordableAsync(HttpContext http, GatewayCall call)
    {
        if (callLog.IsWriting) return false;
        LogUnrecordable(logger, call.RequestId);
        await GatewayErrors.RefuseAsync(http, call, new WireError(503, "api_error",
            $"ControlPlane cannot record calls right now (its call log stopped), so it takes none; an admin must restart it. Quote {call.RequestId}."), "metering_stopped");
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Call {RequestId} refused: the call-log writer is stopped")]
    private static partial void LogUnrecordable(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RequestId}: {Provider} reported no usage for {Model}; tokens estimated")]
    private static partial void LogEstimated(ILogger logger, string requestId, string? provider, string? model);
}
