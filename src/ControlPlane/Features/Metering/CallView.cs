using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace ControlPlane.Features.Metering;

/// <summary>
/// What the Requests page shows, as its URL carries it (shareable, and the back button returns to it): the filter with
/// a relative range kept relative ("last 24 hours" stays the last 24 hours when the link is opened tomorrow), the sort,
/// the page size and the cursor. The CSV export and the API read the same query string.
/// </summary>
public sealed record CallView
{
    public CallRange Range { get; init; } = CallRange.LastWeek;
    public DateTime? CustomFrom { get; init; }
    public DateTime? CustomTo { get; init; }
    /// <summary>The filter without its time range (which <see cref="ToFilter"/> adds from <see cref="Range"/>).</summary>
    public CallFilter Filter { get; init; } = new();
    public CallSort Sort { get; init; } = CallSort.Newest;
    public int PageSize { get; init; } = 25;
    public string? After { get; init; }
    public string? Before { get; init; }

    public const string TimeFormat = "yyyy-MM-ddTHH:mm";

    /// <summary>The filter to run, the relative ranges counted back from <paramref name="now"/>.</summary>
    public CallFilter ToFilter(DateTime now)
    {
        var (from, to) = Range switch
        {
            CallRange.LastHour => (now.AddHours(-1), (DateTime?)null),
            CallRange.LastDay => (now.AddDays(-1), null),
            CallRange.LastWeek => (now.AddDays(-7), null),
            CallRange.All => (null, null),
            _ => (CustomFrom, CustomTo),
        };
        return Filter with { From = from, To = to };
    }

    /// <summary>The same view on its first page (after a filter or sort changed).</summary>
    public CallView FirstPage() => this with { After = null, Before = null };

    /// <summary>The query string (with its '?', or empty) that <see cref="Parse(string?)"/> reads back into this view; defaults are left out.</summary>
    public string ToQueryString()
    {
        var q = new List<KeyValuePair<string, string?>>();
        void Add(string name, string? value) { if (!string.IsNullOrWhiteSpace(value)) q.Add(new(name, value)); }
        var inv = CultureInfo.InvariantCulture;
        if (Range != CallRange.LastWeek) Add("range", Ranges[Range]);
        if (Range == CallRange.Custom)
        {
            Add("from", CustomFrom?.ToString(TimeFormat, inv));
            Add("to", CustomTo?.ToString(TimeFormat, inv));
        }
        var f = Filter;
        Add("team", f.TeamId?.ToString());
        Add("key", f.KeyId?.ToString());
        Add("caller", f.Caller);
        Add("user", f.EndUser);
        Add("model", f.Model);
        Add("provider", f.Provider);
        if (f.Outcome != CallOutcome.All) Add("outcome", f.Outcome == CallOutcome.Failed ? "errors" : "success");
        Add("status", f.Status?.ToString(inv));
        Add("error", f.ErrorClass);
        Add("costMin", f.CostMin?.ToString(inv));
        Add("costMax", f.CostMax?.ToString(inv));
        Add("usage", f.UsageSource?.ToString().ToLowerInvariant());
        Add("streamed", f.Streamed is { } s ? (s ? "yes" : "no") : null);
        if (Sort != CallSort.Newest) Add("sort", $"{Sort.Key.ToString().ToLowerInvariant()}{(Sort.Descending ? "" : "-asc")}");
        if (PageSize != 25) Add("size", PageSize.ToString(inv));
        Add("after", After);
        Add("before", Before);
        return QueryString.Create(q).ToUriComponent();
    }

    private static readonly Dictionary<CallRange, string> Ranges = new()
    {
        [CallRange.LastHour] = "hour", [CallRange.LastDay] = "day", [CallRange.LastWeek] = "week", [CallRange.All] = "all", [CallRange.Custom] = "custom",
    };

    /// <summary>Reads a query string ("?a=b&amp;…" or "a=b&amp;…"); anything malformed is left at its default.</summary>
    public static CallView Parse(string? query) => Parse(QueryHelpers.ParseQuery(query));

    public static CallView Parse(IEnumerable<KeyValuePair<string, StringValues>> query)
    {
        var q = query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        string? Get(string name) => q.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        var inv = CultureInfo.InvariantCulture;
        Guid? Id(string name) => Guid.TryParse(Get(name), out var g) ? g : null;
        decimal? Money(string name) => decimal.TryParse(Get(name), NumberStyles.Number, inv, out var d) && d >= 0 ? d : null;
        DateTime? Time(string name) => DateTime.TryParseExact(Get(name), [TimeFormat, "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd"], inv,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : null;

        var range = Ranges.FirstOrDefault(r => r.Value == Get("range")?.ToLowerInvariant()).Key;
        if (Get("range") is null) range = CallRange.LastWeek;
        var sortText = Get("sort")?.ToLowerInvariant() ?? "";
        var ascending = sortText.EndsWith("-asc", StringComparison.Ordinal);
        var sortKey = Enum.TryParse<CallSortKey>(ascending ? sortText[..^4] : sortText, ignoreCase: true, out var k) && Enum.IsDefined(k) ? k : CallSortKey.At;
        return new CallView
        {
            Range = range,
            CustomFrom = Time("from"),
            CustomTo = Time("to"),
            Filter = new CallFilter
            {
                TeamId = Id("team"),
                KeyId = Id("key"),
                Caller = Get("caller"),
                EndUser = Get("user"),
                Model = Get("model"),
                Provider = Get("provider"),
                Outcome = Get("outcome") switch { "errors" => CallOutcome.Failed, "success" => CallOutcome.Succeeded, _ => CallOutcome.All },
                Status = int.TryParse(Get("status"), NumberStyles.None, inv, out var status) ? status : null,
                ErrorClass = Get("error"),
                CostMin = Money("costMin"),
                CostMax = Money("costMax"),
                UsageSource = Enum.TryParse<UsageSource>(Get("usage"), ignoreCase: true, out var u) && Enum.IsDefined(u) ? u : null,
                Streamed = Get("streamed") switch { "yes" => true, "no" => false, _ => null },
            },
            Sort = new CallSort(sortKey, !ascending),
            PageSize = int.TryParse(Get("size"), NumberStyles.None, inv, out var size) ? Math.Clamp(size, 1, CallQueries.MaxPageSize) : 25,
            After = Get("after"),
            Before = Get("before"),
        };
    }
}
