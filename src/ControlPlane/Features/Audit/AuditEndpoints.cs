using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.Audit;

/// <summary>The audit chain's exports, under the Audit page's policy and with its filters (the same query string).</summary>
public static class AuditEndpoints
{
    public const string CsvPath = "/audit/export.csv";
    public const string JsonPath = "/audit/export.json";

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(CsvPath, (HttpContext http, AuditExport export, TimeProvider clock, CancellationToken ct) =>
            Export(http, clock, "csv", "text/csv; charset=utf-8", (body, filter) => export.WriteCsvAsync(body, filter, ct)))
            .RequireAuthorization(Policies.AuditView);
        app.MapGet(JsonPath, (HttpContext http, AuditExport export, TimeProvider clock, CancellationToken ct) =>
            Export(http, clock, "json", "application/json; charset=utf-8", (body, filter) => export.WriteJsonAsync(body, filter, ct)))
            .RequireAuthorization(Policies.AuditView);
        return app;
    }

    private static IResult Export(HttpContext http, TimeProvider clock, string extension, string contentType, Func<Stream, AuditFilter, Task> write)
    {
        AuditFilter filter;
        try
        {
            filter = AuditFilter.Parse(http.Request.Query);
        }
        catch (FormatException e)
        {
            return TypedResults.BadRequest(e.Message);
        }
        return Results.Stream(body => write(body, filter), contentType, $"audit-{clock.GetUtcNow():yyyyMMdd-HHmm}.{extension}");
    }
}
