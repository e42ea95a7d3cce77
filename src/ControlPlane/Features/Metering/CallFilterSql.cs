using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering;

/// <summary>A <see cref="CallFilter"/> as SQL conditions; exact matches use the indexes of migration 20261201095000.</summary>
internal static class CallFilterSql
{
    public static IQueryable<CallRecord> Apply(IQueryable<CallRecord> calls, CallFilter filter)
    {
        if (filter.From is { } from) calls = calls.Where(c => c.At >= from);
        if (filter.To is { } to) calls = calls.Where(c => c.At < to);
        if (filter.KeyId is { } keyId) calls = calls.Where(c => c.KeyId == keyId);
        if (Text(filter.Model) is { } model) calls = calls.Where(c => c.ModelRequested == model);
        if (Text(filter.Provider) is { } provider) calls = calls.Where(c => c.ProviderName == provider);
        if (Text(filter.EndUser) is { } endUser) calls = calls.Where(c => c.EndUser == endUser);
        if (Text(filter.ErrorClass) is { } errorClass) calls = calls.Where(c => c.ErrorClass == errorClass);
        if (filter.Status is { } status) calls = calls.Where(c => c.Status == status);
        if (filter.UsageSource is { } source) calls = calls.Where(c => c.UsageSource == source);
        if (filter.Streamed is { } streamed) calls = calls.Where(c => c.Streamed == streamed);
        if (filter.CostMin is { } min) calls = calls.Where(c => c.Cost >= min);
        if (filter.CostMax is { } max) calls = calls.Where(c => c.Cost <= max);
        calls = filter.Outcome switch
        {
            CallOutcome.Succeeded => calls.Where(c => c.ErrorClass == null),
            CallOutcome.Failed => calls.Where(c => c.ErrorClass != null),
            _ => calls,
        };
        if (Text(filter.Caller) is { } caller)
        {
            // lower() and LIKE behave alike on SQLite and PostgreSQL (LIKE alone ignores case only on SQLite).
            var pattern = ContainsPattern(caller);
            calls = calls.Where(c => c.Caller != null && EF.Functions.Like(c.Caller.ToLower(), pattern, LikeEscape));
        }
        return calls;
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    internal const string LikeEscape = "\\";

    /// <summary>A LIKE pattern for "contains <paramref name="text"/>" on lower-cased text, its wildcards escaped.</summary>
    internal static string ContainsPattern(string text) => "%" + LikeEscaped(text.ToLowerInvariant()) + "%";

    private static string LikeEscaped(string text) =>
        text.Replace(LikeEscape, LikeEscape + LikeEscape, StringComparison.Ordinal)
            .Replace("%", LikeEscape + "%", StringComparison.Ordinal).Replace("_", LikeEscape + "_", StringComparison.Ordinal);
}
