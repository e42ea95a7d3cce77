using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace ControlPlane.Infrastructure.Api;

/// <summary>One page of a list and the link to the next (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>
/// Cursor pagination, <c>?cursor=&amp;limit=</c>: items in the order of their stable id, each page after the last id of the
/// one before, so a page never repeats or skips an item that existed throughout (whatever is added meanwhile).
/// </summary>
public static class ApiPaging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>The page the query asks for, or a 400 problem for a bad limit or cursor.</summary>
    public static (int Limit, Guid? After, IResult? Problem) Read(HttpRequest request)
    {
        var limit = DefaultLimit;
        if (request.Query["limit"].ToString() is { Length: > 0 } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
            return (0, null, ApiProblem.Invalid("limit", $"limit is a whole number from 1 to {MaxLimit}."));
        if (request.Query["cursor"].ToString() is not { Length: > 0 } cursor) return (limit, null, null);
        try
        {
            if (Guid.TryParseExact(Encoding.ASCII.GetString(WebEncoders.Base64UrlDecode(cursor)), "N", out var after)) return (limit, after, null);
        }
        catch (FormatException)
        {
            // falls through to the problem below
        }
        return (0, null, ApiProblem.Invalid("cursor", "cursor is the value of a page's next link; this one is not."));
    }

    /// <summary>Pages <paramref name="items"/> by id (as the services list them, in memory: these lists are small).</summary>
    public static IResult Of<T>(HttpRequest request, IEnumerable<T> items, Func<T, Guid> idOf)
    {
        var (limit, after, problem) = Read(request);
        if (problem is not null) return problem;
        var ordered = items.OrderBy(i => idOf(i).ToString("N"), StringComparer.Ordinal);
        var rest = after is { } a ? ordered.Where(i => string.CompareOrdinal(idOf(i).ToString("N"), a.ToString("N")) > 0) : ordered;
        var page = rest.Take(limit + 1).ToList();
        string? next = null;
        if (page.Count > limit)
        {
            page.RemoveAt(limit);
            next = NextLink(request, idOf(page[^1]), limit);
        }
        return TypedResults.Ok(new Page<T>(page, next));
    }

    private static string NextLink(HttpRequest request, Guid last, int limit)
    {
        var query = request.Query.Where(q => q.Key is not ("cursor" or "limit")).ToDictionary(q => q.Key, q => (string?)q.Value.ToString());
        query["limit"] = limit.ToString(CultureInfo.InvariantCulture);
        query["cursor"] = WebEncoders.Base64UrlEncode(Encoding.ASCII.GetBytes(last.ToString("N")));
        return QueryHelpers.AddQueryString(request.PathBase + request.Path, query);
    }
}
