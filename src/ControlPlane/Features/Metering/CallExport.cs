using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using CsvHelper;

namespace ControlPlane.Features.Metering;

/// <summary>
/// The filtered call log as CSV, written to the response as rows come from the database (never the whole set in
/// memory), under the same scoping as the page. Text a spreadsheet would run as a formula (=, +, -, @ first) is escaped.
/// </summary>
public sealed class CallExport(CallQueries calls, TeamDirectory teams)
{
    public static readonly string[] Header =
    [
        "request_id", "at_utc", "team", "team_id", "key_id", "caller", "end_user", "endpoint", "model_requested", "model_served", "provider",
        "route_reason", "status", "error_class", "calls", "retries", "streamed", "input_tokens", "cached_input_tokens", "cache_write_input_tokens",
        "output_tokens", "cost_usd", "unpriced", "usage_source", "ttft_ms", "latency_ms", "output_tokens_per_s", "request_bytes", "response_bytes",
    ];

    // Flushed every so many rows so the client sees the file grow and the writer's buffer stays small.
    private const int FlushEvery = 1_000;

    public async Task WriteCsvAsync(Stream stream, Actor actor, CallFilter filter, CallSort sort, CancellationToken ct = default)
    {
        var paths = (await teams.ListAsync(await teams.VisibleToAsync(actor, ct), ct)).ToDictionary(n => n.Team.Id, n => n.Path);
        await using var csv = CsvWriter.Create(stream, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        await csv.WriteRecordAsync(Header, ct);
        var written = 0;
        await foreach (var c in calls.StreamAsync(actor, filter, sort, ct))
        {
            csv.WriteField(c.RequestId);
            csv.WriteField(c.At, "yyyy-MM-ddTHH:mm:ss.fffZ");
            csv.WriteField(c.TeamId is { } t && paths.TryGetValue(t, out var path) ? path : "");
            csv.WriteField(c.TeamId?.ToString() ?? "");
            csv.WriteField(c.KeyId?.ToString() ?? "");
            csv.WriteField(c.Caller ?? "");
            csv.WriteField(c.EndUser ?? "");
            csv.WriteField(c.Endpoint);
            csv.WriteField(c.ModelRequested ?? "");
            csv.WriteField(c.ModelServed ?? "");
            csv.WriteField(c.ProviderName ?? "");
            csv.WriteField(c.RouteReason ?? "");
            csv.WriteField(c.Status, "");
            csv.WriteField(c.ErrorClass ?? "");
            csv.WriteField(c.Count, "");
            csv.WriteField(c.Retries, "");
            csv.WriteField(c.Streamed ? "true" : "false");
            csv.WriteField(c.InputTokens, "");
            csv.WriteField(c.CachedInputTokens, "");
            csv.WriteField(c.CacheWriteInputTokens, "");
            csv.WriteField(c.OutputTokens, "");
            csv.WriteField(c.Cost, ""); // every digit the book holds, never rounded
            csv.WriteField(c.Unpriced ? "true" : "false");
            csv.WriteField(c.UsageSource.ToString().ToLowerInvariant());
            csv.WriteField(c.TimeToFirstTokenMs?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
            csv.WriteField(c.LatencyMs, "");
            csv.WriteField(c.OutputTokensPerSecond?.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) ?? "");
            csv.WriteField(c.RequestBytes, "");
            csv.WriteField(c.ResponseBytes, "");
            await csv.EndRecordAsync(ct);
            if (++written % FlushEvery == 0) await csv.FlushAsync(ct);
        }
        await csv.FlushAsync(ct);
    }
}
