using System.Diagnostics.Metrics;
using System.Threading.Channels;
using ControlPlane.Features.Gateway;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Metering;

/// <summary>A call to record, with its prompt and completion when the team keeps them, and what it charged to which wallets.</summary>
public sealed record MeteredCall(CallRecord Record, CallPayload? Payload = null, IReadOnlyList<WalletCharge>? Charges = null);

/// <summary>A call's cost charged to one wallet, from this node's lease on it (null when the wallet has no limit).</summary>
public readonly record struct WalletCharge(Guid WalletId, Guid? LeaseId, decimal Amount);

/// <summary>
/// Work that must land in the same transaction as a batch of call rows (the wallets' ledger and balances), so a call
/// and its charges are written together or not at all.
/// </summary>
public interface ICallBatchHook
{
    /// <summary>Adds the batch's work to <paramref name="db"/>'s transaction; returns what to do once it committed.</summary>
    Task<Action?> ApplyAsync(Infrastructure.Data.ControlPlaneDb db, IReadOnlyList<MeteredCall> batch, CancellationToken ct);
}

/// <summary>
/// The bounded queue between the gateway and <see cref="CallLogWriter"/>. When it is full, writers wait: the
/// gateway slows down rather than losing a row.
/// </summary>
public sealed class CallLog
{
    private readonly Channel<MeteredCall> _channel;
    private readonly Counter<long> _recorded;
    private readonly Counter<long> _estimated;
    private readonly Counter<long> _unpriced;

    public CallLog(IOptions<GatewayOptions> options, IMeterFactory meters)
    {
        _channel = Channel.CreateBounded<MeteredCall>(new BoundedChannelOptions(options.Value.CallLogCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        var meter = meters.Create("ControlPlane.Gateway");
        _recorded = meter.CreateCounter<long>("controlplane.calls", description: "Calls metered");
        _estimated = meter.CreateCounter<long>("controlplane.calls.usage_estimated", description: "Calls whose usage the provider did not report");
        _unpriced = meter.CreateCounter<long>("controlplane.calls.unpriced", description: "Calls allowed to a model with no price");
    }

    internal ChannelReader<MeteredCall> Reader => _channel.Reader;

    /// <summary>Queues the call; completes at once unless the writer is behind by a full queue.</summary>
    public ValueTask RecordAsync(MeteredCall call)
    {
        _recorded.Add(1);
        if (call.Record.UsageSource == UsageSource.Estimated) _estimated.Add(1);
        if (call.Record.Unpriced) _unpriced.Add(1);
        // No cancellation: a call that happened is recorded even if its client is gone.
        return _channel.Writer.TryWrite(call) ? ValueTask.CompletedTask : _channel.Writer.WriteAsync(call, CancellationToken.None);
    }

    internal void Complete() => _channel.Writer.TryComplete();
}
