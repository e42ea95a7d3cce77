using System.Buffers;

namespace ControlPlane.Features.Metering;

/// <summary>
/// Text that the caller (or a provider) controls, made storable before a call row is queued: PostgreSQL refuses a
/// NUL character in text, and Npgsql refuses a lone UTF-16 surrogate, so either would make the row (and its charges)
/// unwritable. Both become U+FFFD, and each column keeps its length cap (never cutting a surrogate pair in half).
/// Every path to the call log goes through <see cref="Clean(CallRecord)"/> in <see cref="CallLog.RecordAsync"/>.
/// </summary>
public static class CallText
{
    /// <summary>Column caps of <see cref="CallRecord"/> (its EF configuration uses the same numbers).</summary>
    public const int CallerMax = 200, EndUserMax = 200, ModelMax = 200, ProviderNameMax = 100, RouteReasonMax = 1000, ErrorClassMax = 40, EndpointMax = 16;

    private const char Replacement = '\uFFFD';
    private static readonly SearchValues<char> Unstorable = SearchValues.Create("\0" + string.Concat(Enumerable.Range(0xD800, 0x800).Select(c => (char)c)));

    /// <summary>The value cleaned and cut to <paramref name="max"/> characters; null or empty stays null.</summary>
    public static string? Clip(string? value, int max)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (value.Length > max)
        {
            var end = max;
            if (char.IsHighSurrogate(value[end - 1]) && char.IsLowSurrogate(value[end])) end--; // keep the pair whole or not at all
            value = value[..end];
        }
        return Clean(value);
    }

    /// <summary>The value with NUL and lone surrogates replaced by U+FFFD; the same instance when there are none.</summary>
    public static string Clean(string value)
    {
        var first = FirstUnstorable(value);
        if (first < 0) return value;
        return string.Create(value.Length, (value, first), static (target, state) =>
        {
            var (source, from) = state;
            source.AsSpan().CopyTo(target);
            for (var i = from; i < target.Length; i++)
            {
                var c = target[i];
                if (c == '\0') target[i] = Replacement;
                else if (char.IsHighSurrogate(c) && i + 1 < target.Length && char.IsLowSurrogate(target[i + 1])) i++; // a valid pair
                else if (char.IsSurrogate(c)) target[i] = Replacement;
            }
        });
    }

    /// <summary>Where the first NUL or lone surrogate is, or -1 (valid surrogate pairs are fine).</summary>
    private static int FirstUnstorable(string value)
    {
        var span = value.AsSpan();
        for (var i = span.IndexOfAny(Unstorable); i >= 0 && i < span.Length; i++)
        {
            var c = span[i];
            if (c == '\0') return i;
            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return i;
            var next = span[(i + 1)..].IndexOfAny(Unstorable);
            if (next < 0) return -1;
            i += next; // the loop's i++ lands on the next candidate
        }
        return -1;
    }

    /// <summary>True when <paramref name="value"/> holds nothing the database would refuse.</summary>
    public static bool IsClean(string? value) => value is null || ReferenceEquals(Clean(value), value);

    /// <summary>Cleans and caps every text field of the row, in place.</summary>
    public static void Clean(CallRecord record)
    {
        record.Caller = Clip(record.Caller, CallerMax);
        record.EndUser = Clip(record.EndUser, EndUserMax);
        record.ModelRequested = Clip(record.ModelRequested, ModelMax);
        record.ModelServed = Clip(record.ModelServed, ModelMax);
        record.ProviderName = Clip(record.ProviderName, ProviderNameMax);
        record.RouteReason = Clip(record.RouteReason, RouteReasonMax);
        record.ErrorClass = Clip(record.ErrorClass, ErrorClassMax);
        record.Endpoint = Clip(record.Endpoint, EndpointMax) ?? "chat";
    }

    /// <summary>Cleans the kept prompt and completion, in place.</summary>
    public static void Clean(CallPayload payload)
    {
        payload.Request = Clean(payload.Request);
        payload.Response = Clean(payload.Response);
    }
}
