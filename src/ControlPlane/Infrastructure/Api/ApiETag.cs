using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace ControlPlane.Infrastructure.Api;

/// <summary>
/// Optimistic concurrency for the management API: a GET of one resource carries an <c>ETag</c> (a hash of what it
/// returned); PUT, PATCH and DELETE must send it back in <c>If-Match</c> (428 without it) and get 412 when the resource
/// has changed since, so two editors cannot overwrite each other.
/// </summary>
public static class ApiETag
{
    public static string Of(object representation) =>
        "\"" + Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(representation, representation.GetType(), ApiJson.Options)))[..32] + "\"";

    /// <summary>200 with the representation and its ETag.</summary>
    public static IResult Ok(HttpContext http, object representation)
    {
        http.Response.Headers.ETag = Of(representation);
        return TypedResults.Ok(representation);
    }

    /// <summary>Null when <c>If-Match</c> names the current representation (or <c>*</c>); else the 428 or 412 problem.</summary>
    public static IResult? Check(HttpRequest request, object current)
    {
        var ifMatch = request.Headers.IfMatch;
        if (ifMatch.Count == 0)
            return ApiProblem.PreconditionRequired("Send If-Match with the ETag of your last GET of this resource, so that you do not overwrite someone else's change.");
        var tag = Of(current);
        IList<EntityTagHeaderValue> sent = EntityTagHeaderValue.TryParseList(ifMatch, out var list) && list is not null ? list : [];
        return sent.Any(t => t.Tag == "*" || (!t.IsWeak && t.Tag == tag))
            ? null
            : ApiProblem.PreconditionFailed("This resource changed since you read it: GET it again, re-apply your change and send the new ETag.");
    }
}
