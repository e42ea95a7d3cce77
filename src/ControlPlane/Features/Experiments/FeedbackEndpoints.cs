using System.Globalization;
using System.Text.Json;
using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// POST /v1/feedback {"request_id": "req_…", "score": 0..1 or -1 / 1, "comment"?}: the caller rates one of its own
/// calls, with the same virtual key that made it. One rating per call; a second replaces it, and that is audited.
/// </summary>
public static class FeedbackEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;

    public static async Task HandleAsync(HttpContext http, IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog audit, TimeProvider clock)
    {
        var key = GatewayCall.Of(http).Key!;
        var ct = http.RequestAborted;
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            await WriteAsync(http, 413, Error(413, $"The body is larger than {MaxBodyBytes:N0} bytes."));
            return;
        }
        // A body sent without a length is cut off at the same limit as one that declares it.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = MaxBodyBytes;
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            await WriteAsync(http, 400, Error(400, "The body is not valid JSON: send {\"request_id\": \"req_…\", \"score\": 0.8}."));
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteAsync(http, 413, Error(413, $"The body is larger than {MaxBodyBytes:N0} bytes."));
            return;
        }
        using (doc)
        {
            if (Read(doc.RootElement, out var callId, out var requestId, out var score, out var comment) is { } invalid)
            {
                await WriteAsync(http, 400, invalid);
                return;
            }
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            // Another key's call is answered exactly like a call that does not exist: a key learns nothing about others.
            var owner = await db.Calls.AsNoTracking().Where(c => c.Id == callId).Select(c => c.KeyId).FirstOrDefaultAsync(ct);
            if (owner != key.Id)
            {
                await WriteAsync(http, 404, new WireError(404, "not_found_error",
                    $"No call {requestId} was made with this key (a call's row is written within a second or two of its end; retry a moment later).", "request_id", "call_not_found"));
                return;
            }
            var now = clock.GetUtcNow().UtcDateTime;
            var existing = await db.CallFeedback.FirstOrDefaultAsync(f => f.CallId == callId, ct);
            if (existing is null)
            {
                db.CallFeedback.Add(new CallFeedback { CallId = callId, KeyId = key.Id, Score = score, Comment = comment, At = now });
                await db.SaveChangesAsync(ct);
            }
            else
            {
                var before = existing.Score;
                existing.Score = score;
                existing.Comment = comment;
                existing.At = now;
                existing.Replaced++;
                await audit.SaveAsync(db, $"key:{key.Prefix}", "feedback.replaced", $"call:{requestId}",
                    $"score {before.ToString("0.####", CultureInfo.InvariantCulture)} → {score.ToString("0.####", CultureInfo.InvariantCulture)}", ct);
            }
            http.Response.StatusCode = 200;
            await http.Response.WriteAsJsonAsync(new { request_id = requestId, score, replaced = existing is not null }, ct);
        }
    }

    /// <summary>The request's fields, or the 400 that says what is wrong.</summary>
    internal static WireError? Read(JsonElement root, out Guid callId, out string requestId, out decimal score, out string? comment)
    {
        callId = Guid.Empty;
        requestId = "";
        score = 0;
        comment = null;
        if (root.ValueKind != JsonValueKind.Object) return Error(400, "The body must be a JSON object.");
        if (!root.TryGetProperty("request_id", out var id) || id.ValueKind != JsonValueKind.String
            || id.GetString() is not { } text || !text.StartsWith("req_", StringComparison.Ordinal) || !Guid.TryParseExact(text[4..], "N", out callId))
            return Error(400, "request_id is the call's id as the gateway returned it in X-Request-Id (req_ and 32 hex digits).", "request_id");
        requestId = text;
        if (!root.TryGetProperty("score", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetDecimal(out score) || !(score is >= 0 and <= 1 || score == -1))
            return Error(400, "score is a number from 0 to 1, or -1 (thumbs down) / 1 (thumbs up).", "score");
        if (root.TryGetProperty("comment", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind != JsonValueKind.String) return Error(400, "comment is a string.", "comment");
            comment = c.GetString();
            if (comment!.Length > CallFeedback.CommentMax) return Error(400, $"comment has at most {CallFeedback.CommentMax:N0} characters.", "comment");
            // Cleaned of what a database refuses (NUL, lone surrogates), as the call log cleans what callers send.
            comment = Metering.CallText.Clip(comment, CallFeedback.CommentMax);
        }
        return null;
    }

    private static WireError Error(int status, string message, string? param = null) =>
        new(status, "invalid_request_error", message, param);

    private static async Task WriteAsync(HttpContext http, int status, WireError error)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(WireTranslation.ErrorBody(WireFormat.OpenAIChat, error), http.RequestAborted);
    }
}
