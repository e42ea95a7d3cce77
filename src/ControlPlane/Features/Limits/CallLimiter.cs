using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Keys;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Limits;

/// <summary>
/// Step 2 of the hot path (DESIGN "Limits"): admits a call or says which limit it hit and when to come back. Three
/// limits, each optional, each in this node's memory (no database; the key's limits come with its
/// <see cref="KeyEntry"/> from the <see cref="KeyRing"/>):
/// <list type="bullet">
/// <item><b>Caller ceiling</b> (key + X-ControlPlane-Caller): at most N calls in any W minutes, a sliding window in
/// one-minute-or-finer segments. Stops a runaway loop of cheap calls that a dollar limit would let through.</item>
/// <item><b>Requests per minute</b> (key): a sliding one-minute window in six 10-second segments.</item>
/// <item><b>Tokens per minute</b> (key): a token bucket holding a minute's allowance and refilling continuously.
/// A call is charged at admission what it could use: the estimated input tokens plus its max output tokens (or the
/// gateway's default); what it really used is not given back. A request asking for more than the whole minute is
/// charged the whole minute, so it passes only with a full bucket.</item>
/// </list>
/// A call counts against each limit it gets past, in that order, even if a later one refuses it; a call refused by
/// tokens/min is charged no tokens. Changing a key's limit starts that limit afresh.
/// <para>
/// Limiters are created on a key's (caller's) first call and kept in concurrent dictionaries, so an admitted call
/// costs a dictionary lookup and one or two short locks per limit, and allocates nothing. None of them runs its own
/// timer: one sweep a second slides the windows, refills the buckets and forgets limiters with nothing to remember
/// (windows idle for two windows; buckets as soon as they are full). A token bucket is forgotten when full because
/// the framework's manually refilled bucket would otherwise credit the time it sat full to the next call's refill.
/// </para>
/// </summary>
public sealed class CallLimiter : IDisposable
{
    internal static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>The caller that a key's callers beyond <see cref="LimitsOptions.MaxTrackedCallers"/> share (a header can't hold NUL).</summary>
    internal const string OverflowCaller = "\0overflow";

    private readonly ConcurrentDictionary<CallerId, Limited<SlidingWindowRateLimiter>> _callers = new();
    private readonly ConcurrentDictionary<Guid, Limited<SlidingWindowRateLimiter>> _requests = new();
    private readonly ConcurrentDictionary<Guid, Limited<TokenBucketRateLimiter>> _tokens = new();
    private readonly int _defaultCeiling;
    private readonly TimeSpan _ceilingWindow;
    private readonly int _maxCallers;
    private readonly int _defaultMaxOutputTokens;
    private readonly Timer _sweep;
    private readonly Lock _sweepLock = new();
    private int _callerCount;
    private bool _disposed;

    public CallLimiter(IOptions<LimitsOptions> options, IOptions<GatewayOptions> gateway)
    {
        var limits = options.Value;
        _defaultCeiling = limits.CallerCeiling.Calls;
        _ceilingWindow = TimeSpan.FromMinutes(limits.CallerCeiling.WindowMinutes);
        _maxCallers = limits.MaxTrackedCallers;
        _defaultMaxOutputTokens = gateway.Value.DefaultMaxOutputTokens;
        _sweep = new Timer(static state => ((CallLimiter)state!).OnSweep(), this, SweepInterval, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Callers (key + caller name) with a live ceiling on this node.</summary>
    public int TrackedCallers => Volatile.Read(ref _callerCount);

    /// <summary>Limiters of every kind on this node.</summary>
    public int TrackedLimiters => _callers.Count + _requests.Count + _tokens.Count;

    /// <summary>The gateway's check: the call's key and caller, charged the request's worst-case tokens.</summary>
    public LimitRefusal? TryAdmit(GatewayCall call, RequestInfo info)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(info);
        return TryAdmit(call.Key!, call.Record.Caller, TokensOf(info, _defaultMaxOutputTokens));
    }

    /// <summary>What tokens/min charges a request at admission: estimated input plus max output (or the default).</summary>
    public static long TokensOf(RequestInfo info, int defaultMaxOutputTokens)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.EstimatedInputTokens + (info.MaxOutputTokens ?? defaultMaxOutputTokens);
    }

    /// <summary>Null when the call may go on; otherwise the limit it hit, in words, with a Retry-After.</summary>
    public LimitRefusal? TryAdmit(KeyEntry key, string? caller, long tokens)
    {
        ArgumentNullException.ThrowIfNull(key);

        var ceiling = _ceilingWindow > TimeSpan.Zero ? key.CallerCeilingCalls ?? _defaultCeiling : 0;
        if (ceiling > 0)
        {
            var (window, shared) = CallerWindow(key.Id, caller ?? "", ceiling);
            using var lease = window.AttemptAcquire();
            if (!lease.IsAcquired) return LimitRefusal.CallerCeiling(caller, shared, ceiling, _ceilingWindow, RetryAfter(lease, _ceilingWindow));
        }

        if (key.RequestsPerMinute is > 0 and var requestsPerMinute)
        {
            var window = Get(_requests, key.Id, requestsPerMinute, Minute, static (limit, window) => NewWindow(limit, window), out _);
            using var lease = window.AttemptAcquire();
            if (!lease.IsAcquired) return LimitRefusal.RequestsPerMinute(requestsPerMinute, RetryAfter(lease, Minute));
        }

        if (key.TokensPerMinute is > 0 and var tokensPerMinute)
        {
            var bucket = Get(_tokens, key.Id, tokensPerMinute, Minute, static (limit, _) => NewBucket(limit), out _);
            bucket.TryReplenish(); // refill for the time since the last call (or sweep), so the charge meets an exact balance
            var charge = (int)Math.Clamp(tokens, 1, tokensPerMinute);
            using var lease = bucket.AttemptAcquire(charge);
            if (!lease.IsAcquired)
            {
                var available = bucket.GetStatistics()?.CurrentAvailablePermits ?? 0;
                var wait = TimeSpan.FromMinutes((double)Math.Max(1, charge - available) / tokensPerMinute);
                return LimitRefusal.TokensPerMinute(tokensPerMinute, tokens, Seconds(wait));
            }
        }
        return null;
    }

    private (SlidingWindowRateLimiter Window, bool Shared) CallerWindow(Guid keyId, string caller, int ceiling)
    {
        var id = new CallerId(keyId, caller);
        if (_callers.TryGetValue(id, out var known) && known.Limit == ceiling) return (known.Limiter, false);
        // A new caller while the table is full shares its key's overflow window rather than growing the table.
        var shared = known is null && Volatile.Read(ref _callerCount) >= _maxCallers;
        if (shared) id = new CallerId(keyId, OverflowCaller);
        var window = Get(_callers, id, ceiling, _ceilingWindow, static (limit, window) => NewWindow(limit, window), out var added);
        if (added) Interlocked.Increment(ref _callerCount);
        return (window, shared);
    }

    /// <summary>The limiter for this key with this limit: the existing one, or a fresh one if it is new or its limit changed.</summary>
    private static TLimiter Get<TId, TLimiter>(
        ConcurrentDictionary<TId, Limited<TLimiter>> limiters, TId id, int limit, TimeSpan window, Func<int, TimeSpan, TLimiter> create, out bool added)
        where TId : notnull
        where TLimiter : ReplenishingRateLimiter
    {
        added = false;
        Limited<TLimiter>? fresh = null;
        while (true)
        {
            if (limiters.TryGetValue(id, out var existing))
            {
                if (existing.Limit == limit && existing.Window == window) return existing.Limiter;
                if (limiters.TryUpdate(id, fresh ??= new(limit, window, create(limit, window)), existing)) return fresh.Limiter;
            }
            else if (limiters.TryAdd(id, fresh ??= new(limit, window, create(limit, window))))
            {
                added = true;
                return fresh.Limiter;
            }
        }
    }

    private static SlidingWindowRateLimiter NewWindow(int limit, TimeSpan window) => new(new SlidingWindowRateLimiterOptions
    {
        PermitLimit = limit,
        Window = window,
        // 10-second segments, at most 60 of them (a day's window slides in 24-minute steps).
        SegmentsPerWindow = (int)Math.Clamp(window.Ticks / TimeSpan.FromSeconds(10).Ticks, 1, 60),
        QueueLimit = 0,
        AutoReplenishment = false,
    });

    private static TokenBucketRateLimiter NewBucket(int tokensPerMinute) => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = tokensPerMinute,
        // Refilled by elapsed time (manual replenishment is proportional), so the period only sets the rate.
        TokensPerPeriod = tokensPerMinute,
        ReplenishmentPeriod = Minute,
        QueueLimit = 0,
        AutoReplenishment = false,
    });

    private static int RetryAfter(RateLimitLease lease, TimeSpan window) =>
        Seconds(lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : window);

    /// <summary>Whole seconds for Retry-After, rounded up, at least 1.</summary>
    internal static int Seconds(TimeSpan wait) => (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue);

    private void OnSweep()
    {
        try
        {
            Sweep();
        }
        finally
        {
            lock (_sweepLock)
                if (!_disposed) _sweep.Change(SweepInterval, Timeout.InfiniteTimeSpan); // one sweep at a time
        }
    }

    /// <summary>Slides the windows, refills the buckets and forgets what has nothing left to remember.</summary>
    internal void Sweep()
    {
        foreach (var pair in _callers)
            if (IdleForTwoWindows(pair.Value) && _callers.TryRemove(pair))
                Interlocked.Decrement(ref _callerCount);
        foreach (var pair in _requests)
            if (IdleForTwoWindows(pair.Value))
                _requests.TryRemove(pair);
        foreach (var pair in _tokens)
        {
            pair.Value.Limiter.TryReplenish();
            if (pair.Value.Limiter.IdleDuration is not null) // full: a fresh bucket is the same, without a stale refill time
                _tokens.TryRemove(pair);
        }
    }

    private static bool IdleForTwoWindows(Limited<SlidingWindowRateLimiter> entry)
    {
        entry.Limiter.TryReplenish();
        return entry.Limiter.IdleDuration > entry.Window * 2;
    }

    public void Dispose()
    {
        lock (_sweepLock)
        {
            _disposed = true;
            _sweep.Dispose();
        }
    }

    /// <summary>One caller of one key; "" when the call named none.</summary>
    private readonly record struct CallerId(Guid KeyId, string Caller);

    /// <summary>A limiter and the limit it was made for, so a changed limit gets a fresh one.</summary>
    private sealed class Limited<TLimiter>(int limit, TimeSpan window, TLimiter limiter)
    {
        public int Limit { get; } = limit;
        public TimeSpan Window { get; } = window;
        public TLimiter Limiter { get; } = limiter;
    }
}
