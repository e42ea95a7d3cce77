namespace ControlPlane.Features.Metering;

/// <summary>
/// Refused calls (a revoked or expired key, a rate limit, a spent budget, a bad request: anything turned away before
/// a provider was asked and without a cent charged) are not queued one row each: a key that keeps calling would fill
/// the call-log queue and make every served call wait. They are counted per key, reason and minute instead:
/// <list type="bullet">
/// <item>the first <see cref="Gateway.GatewayOptions.RefusalSamplesPerMinute"/> of a minute are sampled: written at
/// once as rows of their own, so the Calls page shows a refusal as it happens;</item>
/// <item>the rest of that minute are only counted; when the minute is over they become one row (the first of them,
/// with <see cref="CallRecord.Count"/> = how many). With no samples, that is the minute's only row.</item>
/// </list>
/// Refusal rows have their own bound (<see cref="Gateway.GatewayOptions.RefusalRowCapacity"/>): rows sampled or
/// counted and not yet written. When it is full, a refusal that needs a new row is dropped and counted in
/// <see cref="Dropped"/>. Served calls never share it.
/// </summary>
public sealed class RefusalTally(int capacity, int samplesPerMinute, TimeProvider clock)
{
    private sealed class Slot
    {
        public int Samples { get; set; }
        /// <summary>The first refusal beyond the samples: the minute's counted row.</summary>
        public MeteredCall? Counted { get; set; }
        public int Count { get; set; }
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<(Guid? KeyId, string Reason, DateTime Minute), Slot> _slots = [];
    private int _pending; // rows sampled or counted and not yet written
    private bool _closed;
    private long _counted;
    private long _dropped;

    /// <summary>Refusals recorded: sampled as their own rows or counted into a minute's row.</summary>
    public long Counted => Interlocked.Read(ref _counted);

    /// <summary>Refusals dropped because the refusal rows were full (or that came after shutdown began).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Refusal rows sampled or counted and not yet written.</summary>
    public int Pending
    {
        get { lock (_gate) return _pending; }
    }

    /// <summary>
    /// A refusal: the call ended in an error before any provider was asked, and charged nothing. Such a row tells
    /// only who was turned away and why, so one row per key, reason and minute tells it as well.
    /// </summary>
    public static bool IsRefusal(MeteredCall call) =>
        call.Record is { ErrorClass: not null, Status: >= 400, ProviderId: null, Cost: 0, InputTokens: 0, OutputTokens: 0, Unpriced: false }
        && call.Charges is null or { Count: 0 };

    public enum Outcome
    {
        /// <summary>A sample: write this row now (on the refusal path).</summary>
        Sampled,
        /// <summary>Counted into its minute's row, written when the minute is over.</summary>
        Counted,
        /// <summary>No room for its row: dropped, and counted in <see cref="Dropped"/>.</summary>
        Dropped,
    }

    public Outcome Add(MeteredCall call)
    {
        var record = call.Record;
        var slot = (record.KeyId, record.ErrorClass!, MinuteOf(record.At));
        lock (_gate)
        {
            if (_closed) return Drop();
            if (!_slots.TryGetValue(slot, out var s)) _slots.Add(slot, s = new Slot());
            if (s.Samples < samplesPerMinute)
            {
                if (_pending >= capacity) return Drop();
                s.Samples++;
                _pending++;
                _counted++;
                return Outcome.Sampled;
            }
            if (s.Counted is null)
            {
                if (_pending >= capacity) return Drop();
                s.Counted = call; // its row is reserved now, so counting more never needs room
                _pending++;
            }
            s.Count++;
            _counted++;
            return Outcome.Counted;
        }

        Outcome Drop()
        {
            _dropped++;
            return Outcome.Dropped;
        }
    }

    /// <summary>The counted rows of minutes that are over (of every minute, with <paramref name="all"/>), taken out of the tally.</summary>
    public IReadOnlyList<MeteredCall> TakeClosed(bool all = false)
    {
        var thisMinute = MinuteOf(clock.GetUtcNow().UtcDateTime);
        List<MeteredCall>? rows = null;
        lock (_gate)
        {
            List<(Guid?, string, DateTime)>? over = null;
            foreach (var (slot, s) in _slots)
            {
                if (!all && slot.Minute >= thisMinute) continue;
                (over ??= []).Add(slot);
                if (s.Counted is { } counted)
                {
                    counted.Record.Count = s.Count;
                    (rows ??= []).Add(counted);
                }
            }
            foreach (var slot in over ?? []) _slots.Remove(slot);
        }
        return rows ?? [];
    }

    /// <summary>No new rows from now on (shutdown); what is counted is taken with <see cref="TakeClosed"/>(all: true).</summary>
    public void Close()
    {
        lock (_gate) _closed = true;
    }

    /// <summary><paramref name="rows"/> refusal rows were written (or given up on): their room is free again.</summary>
    public void Written(int rows)
    {
        lock (_gate) _pending = Math.Max(0, _pending - rows);
    }

    private static DateTime MinuteOf(DateTime at) => new(at.Ticks - at.Ticks % TimeSpan.TicksPerMinute, at.Kind);
}
