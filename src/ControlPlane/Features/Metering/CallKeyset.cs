using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering;

/// <summary>
/// A position in the call log for one sort: the sort value, time and id of the last row seen. Written into URLs as an
/// opaque token (<see cref="Token"/>); a token that does not parse is treated as no cursor (the first page).
/// </summary>
public sealed record CallCursor(CallSortKey Key, DateTime At, Guid Id, decimal Cost = 0m, int LatencyMs = 0, double CostReal = 0d)
{
    public static CallCursor Of(CallSortKey key, CallRow row, double costReal) => new(key, row.At, row.Id, row.Cost, row.LatencyMs, costReal);

    /// <summary>URL-safe text: key, ticks, id and the sort value, base64url.</summary>
    public string Token
    {
        get
        {
            var text = string.Join('|', Key, At.Ticks.ToString(CultureInfo.InvariantCulture), Id.ToString("N"),
                Cost.ToString(CultureInfo.InvariantCulture), LatencyMs.ToString(CultureInfo.InvariantCulture), CostReal.ToString("R", CultureInfo.InvariantCulture));
            return Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }
    }

    public static CallCursor? Parse(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 300) return null;
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(b64)).Split('|');
            if (parts.Length != 6 || !Enum.TryParse<CallSortKey>(parts[0], out var key) || !Enum.IsDefined(key)) return null;
            var inv = CultureInfo.InvariantCulture;
            return new CallCursor(key, new DateTime(long.Parse(parts[1], inv), DateTimeKind.Utc), Guid.ParseExact(parts[2], "N"),
                decimal.Parse(parts[3], inv), int.Parse(parts[4], inv), double.Parse(parts[5], inv));
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }
}

/// <summary>
/// The seek conditions of keyset paging: rows strictly after a cursor in the sort's order (time, then id, break ties in
/// the sort's direction). Guids compare through CompareTo, which EF turns into a plain &lt; or &gt; in SQL.
/// </summary>
internal static class CallKeyset
{
    /// <summary>The rows after <paramref name="c"/> when read in the order (<paramref name="key"/>, at, id) <paramref name="descending"/>.</summary>
    public static IQueryable<CallRecord> After(IQueryable<CallRecord> calls, CallSortKey key, bool descending, CallCursor c, bool sqlite)
    {
        var (at, id) = (c.At, c.Id);
        // Each seek starts with the bound its OR implies (cost <= x, at <= y): a plain range the database can seek the
        // sort's index to, where the OR alone would have it walk the index from the start to the cursor.
        return (key, descending) switch
        {
            (CallSortKey.Cost, true) when sqlite => calls.Where(x => EF.Property<double>(x, CostColumn) <= c.CostReal && (EF.Property<double>(x, CostColumn) < c.CostReal
                || (EF.Property<double>(x, CostColumn) == c.CostReal && (x.At < at || (x.At == at && x.Id.CompareTo(id) < 0))))),
            (CallSortKey.Cost, false) when sqlite => calls.Where(x => EF.Property<double>(x, CostColumn) >= c.CostReal && (EF.Property<double>(x, CostColumn) > c.CostReal
                || (EF.Property<double>(x, CostColumn) == c.CostReal && (x.At > at || (x.At == at && x.Id.CompareTo(id) > 0))))),
            (CallSortKey.Cost, true) => calls.Where(x => x.Cost <= c.Cost && (x.Cost < c.Cost || (x.Cost == c.Cost && (x.At < at || (x.At == at && x.Id.CompareTo(id) < 0))))),
            (CallSortKey.Cost, false) => calls.Where(x => x.Cost >= c.Cost && (x.Cost > c.Cost || (x.Cost == c.Cost && (x.At > at || (x.At == at && x.Id.CompareTo(id) > 0))))),
            (CallSortKey.Latency, true) => calls.Where(x => x.LatencyMs <= c.LatencyMs && (x.LatencyMs < c.LatencyMs
                || (x.LatencyMs == c.LatencyMs && (x.At < at || (x.At == at && x.Id.CompareTo(id) < 0))))),
            (CallSortKey.Latency, false) => calls.Where(x => x.LatencyMs >= c.LatencyMs && (x.LatencyMs > c.LatencyMs
                || (x.LatencyMs == c.LatencyMs && (x.At > at || (x.At == at && x.Id.CompareTo(id) > 0))))),
            (_, true) => calls.Where(x => x.At <= at && (x.At < at || (x.At == at && x.Id.CompareTo(id) < 0))),
            (_, false) => calls.Where(x => x.At >= at && (x.At > at || (x.At == at && x.Id.CompareTo(id) > 0))),
        };
    }

    /// <summary>On SQLite, the cost as a REAL from its indexed generated column (<see cref="CallRecordConfiguration.AddSqliteCostOrder"/>).</summary>
    private const string CostColumn = CallRecordConfiguration.SqliteCostOrder;

    /// <summary>The order (<paramref name="key"/>, at, id), all in one direction, so the seek above matches it.</summary>
    public static IOrderedQueryable<CallRecord> Ordered(IQueryable<CallRecord> calls, CallSortKey key, bool descending, bool sqlite)
    {
        // SQLite keeps decimals as text and EF refuses to order by them there; a REAL is exact enough to order costs.
        var sorted = (key, descending) switch
        {
            (CallSortKey.Cost, true) when sqlite => calls.OrderByDescending(x => EF.Property<double>(x, CostColumn)),
            (CallSortKey.Cost, false) when sqlite => calls.OrderBy(x => EF.Property<double>(x, CostColumn)),
            (CallSortKey.Cost, true) => calls.OrderByDescending(x => x.Cost),
            (CallSortKey.Cost, false) => calls.OrderBy(x => x.Cost),
            (CallSortKey.Latency, true) => calls.OrderByDescending(x => x.LatencyMs),
            (CallSortKey.Latency, false) => calls.OrderBy(x => x.LatencyMs),
            (_, true) => calls.OrderByDescending(x => x.At),
            (_, false) => calls.OrderBy(x => x.At),
        };
        if (key == CallSortKey.At) return descending ? sorted.ThenByDescending(x => x.Id) : sorted.ThenBy(x => x.Id);
        return descending ? sorted.ThenByDescending(x => x.At).ThenByDescending(x => x.Id) : sorted.ThenBy(x => x.At).ThenBy(x => x.Id);
    }
}
