using System.Globalization;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Limits;

/// <summary>
/// A call refused by a limit beside money: a 429 with Retry-After (whole seconds, at least 1), a message that says
/// which limit, and the error class the call's row keeps (also the error's <c>code</c>).
/// </summary>
public sealed record LimitRefusal(string ErrorClass, string Message, int RetryAfterSeconds)
{
    public const string KeyRequestsPerMinuteClass = "key_requests_per_minute";
    public const string KeyTokensPerMinuteClass = "key_tokens_per_minute";
    public const string CallerCeilingClass = "caller_ceiling";

    /// <summary>Answers the caller in its own format; the relay then returns and the call gets its row like every refusal.</summary>
    public Task RefuseAsync(HttpContext http, GatewayCall call)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!http.Response.HasStarted) http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return GatewayErrors.RefuseAsync(http, call, new WireError(StatusCodes.Status429TooManyRequests, "rate_limit_error", Message, Code: ErrorClass), ErrorClass);
    }

    internal static LimitRefusal RequestsPerMinute(int limit, int retryAfter) =>
        new(KeyRequestsPerMinuteClass, $"This key allows {limit:N0} {(limit == 1 ? "request" : "requests")} per minute; retry in {retryAfter} s.", retryAfter);

    internal static LimitRefusal TokensPerMinute(int limit, long requested, int retryAfter) =>
        new(KeyTokensPerMinuteClass, requested > limit
            ? $"This key allows {limit:N0} tokens per minute and this request alone counts {requested:N0} (estimated input + max output tokens), so it needs the whole minute's allowance; lower max_tokens, or retry in {retryAfter} s."
            : $"This key allows {limit:N0} tokens per minute and this request counts {requested:N0} (estimated input + max output tokens); retry in {retryAfter} s.",
            retryAfter);

    internal static LimitRefusal CallerCeiling(string? caller, bool shared, int calls, TimeSpan window, int retryAfter)
    {
        var minutes = window.TotalMinutes == 1 ? "minute" : $"{window.TotalMinutes:0} minutes";
        var who = shared ? "This key's callers beyond the most the gateway tracks (they share one ceiling)"
            : string.IsNullOrEmpty(caller) ? $"This key's calls without an {GatewayCall.CallerHeader} header"
            : $"The caller '{caller}' of this key";
        return new(CallerCeilingClass, $"{who} made {calls:N0} calls in the last {minutes}, the most allowed (a ceiling that stops runaway loops); retry in {retryAfter} s.", retryAfter);
    }
}
