using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway;

/// <summary>What has to be settled when a call ends, however it ends: filled in as the call goes.</summary>
public sealed class Settlement
{
    public Hold? Hold { get; set; }
    public Metered? Metered { get; set; }
}

/// <summary>
/// The last step of every gateway call, however it ended: the row gets its usage, cost and timings, the hold is
/// settled into wallet charges, and the row goes to the call log. Nothing is ever invisible.
/// </summary>
public sealed partial class CallSettlement(ISpendGuard spend, CallLog callLog, ILogger<CallSettlement> logger)
{
    public Task FinishAsync(GatewayCall call, Settlement settlement) => FinishAsync(call, settlement.Hold, settlement.Metered);

    public async Task FinishAsync(GatewayCall call, Hold? hold, Metered? metered)
    {
        var record = call.Record;
        record.LatencyMs = (int)call.Elapsed.TotalMilliseconds;
        if (call.DowngradedTo is { } cheaper)
            record.RouteReason = GatewayCall.Truncate($"budget spent, downgraded to '{cheaper}': {record.RouteReason}", 300);
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
        await callLog.RecordAsync(new MeteredCall(record, call.Payload(DateTime.UtcNow), charges));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RequestId}: {Provider} reported no usage for {Model}; tokens estimated")]
    private static partial void LogEstimated(ILogger logger, string requestId, string? provider, string? model);
}
