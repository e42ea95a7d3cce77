using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.Metering;

/// <summary>
/// The Requests page's data for scripts and downloads, under the page's policy and scoping: the CSV export of a view
/// and one page of it as JSON (the API the benchmark times). Both read the page's own query string (<see cref="CallView"/>).
/// </summary>
public static class CallEndpoints
{
    public const string ExportPath = "/calls/export.csv";
    public const string ApiPath = "/api/v1/calls";

    /// <summary>The export link for what the page shows (the cursor left out: the export is the whole filtered set).</summary>
    public static string ExportUrl(CallView view) => ExportPath + view.FirstPage().ToQueryString();

    public static IEndpointRouteBuilder MapCallEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(ExportPath, (HttpContext http, CallExport export, TimeProvider clock, CancellationToken ct) =>
        {
            var view = CallView.Parse(http.Request.Query);
            var actor = Actor.From(http.User);
            var now = clock.GetUtcNow().UtcDateTime;
            return Results.Stream(body => export.WriteCsvAsync(body, actor, view.ToFilter(now), view.Sort, ct), "text/csv; charset=utf-8",
                $"requests-{now:yyyyMMdd-HHmm}.csv");
        }).RequireAuthorization(Policies.CallsView);

        app.MapGet(ApiPath, async (HttpContext http, CallQueries calls, TimeProvider clock, CancellationToken ct) =>
        {
            var view = CallView.Parse(http.Request.Query);
            var page = await calls.PageAsync(Actor.From(http.User), view.ToFilter(clock.GetUtcNow().UtcDateTime), view.Sort, view.PageSize,
                CallCursor.Parse(view.After), CallCursor.Parse(view.Before), ct);
            return TypedResults.Ok(new { rows = page.Rows, next = page.Next?.Token, previous = page.Previous?.Token });
        }).RequireAuthorization(Policies.CallsView).WithTags("Calls")
            .WithSummary("One page of the call log the caller may see (the Requests page's filters and cursors: ?after=, ?before=, ?size=)");

        app.MapGet(ApiPath + "/totals", async (HttpContext http, CallQueries calls, TimeProvider clock, CancellationToken ct) =>
        {
            var view = CallView.Parse(http.Request.Query);
            return TypedResults.Ok(await calls.TotalsAsync(Actor.From(http.User), view.ToFilter(clock.GetUtcNow().UtcDateTime), ct));
        }).RequireAuthorization(Policies.CallsView).WithTags("Calls")
            .WithSummary("Totals (calls, tokens, cost) of the call log view the caller may see");
        return app;
    }

    public static WebApplicationBuilder AddRequests(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<CallExport>();
        builder.Services.AddScoped<CallDetailQueries>();
        builder.Services.AddScoped<CallStats.CallStatsQueries>();
        builder.Services.AddScoped<CallStats.DailyStats>();
        builder.Services.AddScoped<CallSeed.CallSeeder>();
        builder.Services.AddSingleton<CallStats.HealthNumbers>();
        return builder;
    }
}
