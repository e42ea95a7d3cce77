using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Metering.Rollups;

/// <summary>
/// Keeps <see cref="CallRollup"/> in step with the call log: the batch's rows summed in memory, then added to the
/// rollups in the same transaction as the rows (so charts and the log never disagree). Once it committed, one
/// <see cref="SpendTick"/> per team and key of the batch goes onto the event bus: the Overview's ticker moves on it.
/// </summary>
internal sealed class CallRollupHook(EventBus events) : ICallBatchHook
{
    /// <summary>Rollups sum the rows: when a batch's rows are not written (only their charges), neither are they.</summary>
    public bool NeedsRows => true;

    public async Task<Action?> ApplyAsync(ControlPlaneDb db, IReadOnlyList<MeteredCall> batch, CancellationToken ct)
    {
        var sums = new RollupSums();
        var ticks = new Dictionary<(Guid? Team, Guid? Key), SpendTick>();
        foreach (var call in batch)
        {
            var r = call.Record;
            sums.Add(r);
            var tick = ticks.GetValueOrDefault((r.TeamId, r.KeyId)) ?? new SpendTick(r.TeamId, r.KeyId, 0, 0, 0m, r.At);
            ticks[(r.TeamId, r.KeyId)] = tick with
            {
                Calls = tick.Calls + r.Count,
                Errors = tick.Errors + (RollupSums.IsError(r) ? r.Count : 0),
                Cost = tick.Cost + r.Cost,
                At = r.At > tick.At ? r.At : tick.At,
            };
        }
        if (sums.Count == 0) return null;
        await RollupUpsert.AddAsync(db, sums.Rows, ct);
        return () =>
        {
            foreach (var tick in ticks.Values) events.Publish(tick);
        };
    }
}
