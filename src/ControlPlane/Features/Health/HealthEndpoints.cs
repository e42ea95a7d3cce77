using System.Text.Json;
using ControlPlane.Features.CallStats;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ControlPlane.Features.Health;

/// <summary>
/// /health: the process answers, with the last hour's headline numbers for machines under "calls" and "quota" (added
/// beside status and checks; a database that does not answer leaves them out and /health still answers). /ready: the
/// database answers and is migrated (load balancers ask this).
/// </summary>
public static class HealthEndpoints
{
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteWithNumbersAsync }).AllowAnonymous();
        app.MapHealthChecks("/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteJson }).AllowAnonymous();
        return app;
    }

    private static Task WriteJson(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return JsonSerializer.SerializeAsync(http.Response.Body, body, JsonOptions, http.RequestAborted);
    }

    private static async Task WriteWithNumbersAsync(HttpContext http, HealthReport report)
    {
        HealthFigures? figures = null;
        try
        {
            figures = await http.RequestServices.GetRequiredService<HealthNumbers>().ReadAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            // The process still answers; /ready is where a database problem shows.
        }
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
            calls = figures is null ? null : new
            {
                window = new { from = figures.From, to = figures.To },
                requests = figures.Requests,
                succeeded = figures.Succeeded,
                success_rate = Math.Round(figures.SuccessRate, 4),
                latency_ms = SpreadJson(figures.LatencyMs),
                ttft_ms = SpreadJson(figures.TimeToFirstTokenMs),
            },
            quota = figures is null ? null : new
            {
                limited_wallets = figures.Quota.LimitedWallets,
                warning = figures.Quota.Warning,
                exhausted = figures.Quota.Exhausted,
                highest_use_percent = figures.Quota.HighestUsePercent,
            },
        };
        await JsonSerializer.SerializeAsync(http.Response.Body, body, JsonOptions, http.RequestAborted);
    }

    private static object SpreadJson(Spread s) => new { p50 = Round(s.P50), p95 = Round(s.P95), p99 = Round(s.P99) };

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 1) : null;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
