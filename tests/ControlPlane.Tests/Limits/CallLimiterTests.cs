using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Limits;
using Microsoft.Extensions.Options;

namespace ControlPlane.Tests.Limits;

/// <summary>
/// CallLimiter on its own. Its limiters run on real time (System.Threading.RateLimiting takes no TimeProvider), so
/// these tests use minute-long windows that a slow machine cannot outlast between two calls, and assert counts and
/// words, never durations.
/// </summary>
public sealed class CallLimiterTests : IDisposable
{
    private readonly List<CallLimiter> _limiters = [];

    public void Dispose()
    {
        foreach (var limiter in _limiters) limiter.Dispose();
    }

    private CallLimiter Limiter(int ceilingCalls = 0, int windowMinutes = 10, int maxCallers = 100_000)
    {
        var options = new LimitsOptions { CallerCeiling = { Calls = ceilingCalls, WindowMinutes = windowMinutes }, MaxTrackedCallers = maxCallers };
        var limiter = new CallLimiter(Options.Create(options), Options.Create(new GatewayOptions()));
        _limiters.Add(limiter);
        return limiter;
    }

    private static KeyEntry Key(int? requestsPerMinute = null, int? tokensPerMinute = null, int? callerCeiling = null, Guid? id = null) =>
        new(id ?? Guid.NewGuid(), Guid.NewGuid(), "cp-live-test", "test", null, null, null, requestsPerMinute, tokensPerMinute, callerCeiling);

    [Fact]
    public void A_key_without_limits_is_never_refused_and_costs_no_limiter()
    {
        var limiter = Limiter(ceilingCalls: 0);
        var key = Key();

        for (var i = 0; i < 10_000; i++)
            Assert.Null(limiter.TryAdmit(key, "loop", 100_000));

        Assert.Equal(0, limiter.TrackedLimiters);
    }

    [Fact]
    public void The_fourth_call_of_a_key_allowing_three_a_minute_is_refused_with_a_retry_after()
    {
        var limiter = Limiter();
        var key = Key(requestsPerMinute: 3);

        for (var i = 0; i < 3; i++) Assert.Null(limiter.TryAdmit(key, null, 10));
        var refused = limiter.TryAdmit(key, null, 10);

        Assert.NotNull(refused);
        Assert.Equal("key_requests_per_minute", refused.ErrorClass);
        Assert.InRange(refused.RetryAfterSeconds, 1, 60);
        Assert.Equal($"This key allows 3 requests per minute; retry in {refused.RetryAfterSeconds} s.", refused.Message);
        // Another key is not affected.
        Assert.Null(limiter.TryAdmit(Key(requestsPerMinute: 3), null, 10));
    }

    [Fact]
    public void The_caller_ceiling_counts_each_caller_of_a_key_apart()
    {
        var limiter = Limiter(ceilingCalls: 1000);
        var key = Key(callerCeiling: 5);

        for (var i = 0; i < 5; i++) Assert.Null(limiter.TryAdmit(key, "nightly-batch", 1));
        var refused = limiter.TryAdmit(key, "nightly-batch", 1);

        Assert.NotNull(refused);
        Assert.Equal("caller_ceiling", refused.ErrorClass);
        Assert.Contains("'nightly-batch'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("5 calls in the last 10 minutes", refused.Message, StringComparison.Ordinal);
        Assert.InRange(refused.RetryAfterSeconds, 1, 600);
        Assert.Null(limiter.TryAdmit(key, "chat-ui", 1));
        Assert.Null(limiter.TryAdmit(key, null, 1)); // calls that name no caller are one more caller
        Assert.Equal(3, limiter.TrackedCallers);
    }

    [Fact]
    public void The_configured_ceiling_applies_to_keys_that_set_none_and_a_zero_window_turns_every_ceiling_off()
    {
        var limiter = Limiter(ceilingCalls: 2);
        var key = Key();
        Assert.Null(limiter.TryAdmit(key, null, 1));
        Assert.Null(limiter.TryAdmit(key, null, 1));
        var refused = limiter.TryAdmit(key, null, 1);
        Assert.Equal("caller_ceiling", refused?.ErrorClass);
        Assert.Contains("without an X-ControlPlane-Caller header", refused!.Message, StringComparison.Ordinal);

        var off = Limiter(ceilingCalls: 2, windowMinutes: 0);
        var own = Key(callerCeiling: 1);
        for (var i = 0; i < 10; i++) Assert.Null(off.TryAdmit(own, null, 1));
    }

    [Fact]
    public void Tokens_per_minute_charge_input_plus_max_output_at_admission()
    {
        var limiter = Limiter();
        var key = Key(tokensPerMinute: 1000);
        var info = new RequestInfo("gpt", false, 800, null, 5, false, false);
        Assert.Equal(805, CallLimiter.TokensOf(info, 4096));
        Assert.Equal(4101, CallLimiter.TokensOf(info with { MaxOutputTokens = null }, 4096));

        Assert.Null(limiter.TryAdmit(key, null, CallLimiter.TokensOf(info, 4096)));
        var refused = limiter.TryAdmit(key, null, CallLimiter.TokensOf(info, 4096));

        Assert.NotNull(refused);
        Assert.Equal("key_tokens_per_minute", refused.ErrorClass);
        Assert.InRange(refused.RetryAfterSeconds, 1, 60);
        Assert.StartsWith("This key allows 1,000 tokens per minute and this request counts 805", refused.Message, StringComparison.Ordinal);
        // A small request still fits in what is left.
        Assert.Null(limiter.TryAdmit(key, null, 100));
    }

    [Fact]
    public void A_request_larger_than_the_whole_minute_passes_only_on_a_full_allowance_and_says_to_lower_max_tokens()
    {
        var limiter = Limiter();
        var key = Key(tokensPerMinute: 1000);

        Assert.Null(limiter.TryAdmit(key, null, 5000));
        var refused = limiter.TryAdmit(key, null, 5000);

        Assert.NotNull(refused);
        Assert.Contains("lower max_tokens", refused.Message, StringComparison.Ordinal);
        Assert.Contains("5,000", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Requests_per_minute_is_checked_before_tokens_so_a_refused_call_spends_none()
    {
        var limiter = Limiter();
        var id = Guid.NewGuid();
        Assert.Null(limiter.TryAdmit(Key(requestsPerMinute: 1, tokensPerMinute: 1000, id: id), null, 600));
        Assert.Equal("key_requests_per_minute", limiter.TryAdmit(Key(requestsPerMinute: 1, tokensPerMinute: 1000, id: id), null, 600)?.ErrorClass);

        // Requests/min lifted: the 400 tokens left fit 400, not 600, so the refused call took none.
        Assert.Null(limiter.TryAdmit(Key(tokensPerMinute: 1000, id: id), null, 400));
    }

    [Fact]
    public void A_changed_limit_starts_afresh()
    {
        var limiter = Limiter();
        var id = Guid.NewGuid();
        for (var i = 0; i < 2; i++) Assert.Null(limiter.TryAdmit(Key(requestsPerMinute: 2, id: id), null, 1));
        Assert.NotNull(limiter.TryAdmit(Key(requestsPerMinute: 2, id: id), null, 1));

        Assert.Null(limiter.TryAdmit(Key(requestsPerMinute: 3, id: id), null, 1));
    }

    [Fact]
    public void Callers_beyond_the_tracked_most_share_one_ceiling_per_key()
    {
        var limiter = Limiter(ceilingCalls: 1, maxCallers: 100);
        var key = Key();

        for (var i = 0; i < 100; i++) Assert.Null(limiter.TryAdmit(key, $"caller-{i}", 1));
        Assert.Null(limiter.TryAdmit(key, "caller-100", 1)); // the first overflow call takes the shared window's one call
        var refused = limiter.TryAdmit(key, "caller-101", 1);

        Assert.Equal("caller_ceiling", refused?.ErrorClass);
        Assert.Contains("share one ceiling", refused!.Message, StringComparison.Ordinal);
        Assert.Equal(101, limiter.TrackedCallers);
        // Callers already tracked keep their own window.
        Assert.Equal("caller_ceiling", limiter.TryAdmit(key, "caller-7", 1)?.ErrorClass);
    }

    [Fact]
    public async Task The_sweep_forgets_full_token_buckets_and_keeps_windows_still_counting()
    {
        var limiter = Limiter();
        var key = Key(requestsPerMinute: 10, tokensPerMinute: 60_000_000); // a million tokens a second: full again at once

        Assert.Null(limiter.TryAdmit(key, null, 1));
        Assert.Equal(2, limiter.TrackedLimiters);

        for (var attempt = 0; attempt < 100 && limiter.TrackedLimiters > 1; attempt++)
        {
            await Task.Delay(10);
            limiter.Sweep();
        }
        Assert.Equal(1, limiter.TrackedLimiters); // the requests/min window still holds its call
        Assert.Null(limiter.TryAdmit(key, null, 1)); // and a forgotten bucket comes back full
    }

    [Fact]
    public void An_admitted_call_allocates_nothing_once_its_limiters_exist()
    {
        var limiter = Limiter(ceilingCalls: 1_000_000);
        var key = Key(requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000);
        for (var i = 0; i < 100; i++) Assert.Null(limiter.TryAdmit(key, "worker", 10)); // create and warm up

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) limiter.TryAdmit(key, "worker", 10);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 1000, $"{allocated} bytes for 1,000 admitted calls: something allocates per call");
    }

    [Fact]
    public void Retry_after_is_whole_seconds_rounded_up_and_at_least_one()
    {
        Assert.Equal(1, CallLimiter.Seconds(TimeSpan.Zero));
        Assert.Equal(1, CallLimiter.Seconds(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(13, CallLimiter.Seconds(TimeSpan.FromSeconds(12.2)));
        Assert.Equal(60, CallLimiter.Seconds(TimeSpan.FromMinutes(1)));
    }
}
