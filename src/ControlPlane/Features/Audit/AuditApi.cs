using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.Audit;

/// <summary>
/// The audit chain over <c>/api/v1</c>: the Audit page's filters (?actor=&amp;action=&amp;target=&amp;from=&amp;to=) and its
/// verifiable JSON export (<see cref="AuditExport"/>, the same document as <c>/audit/export.json</c>), under its policy.
/// </summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", (HttpContext http, AuditExport export, CancellationToken ct) =>
        {
            AuditFilter filter;
            try
            {
                filter = AuditFilter.Parse(http.Request.Query);
            }
            catch (FormatException e)
            {
                return ApiProblem.BadRequest(e.Message);
            }
            return Results.Stream(body => export.WriteJsonAsync(body, filter, ct), "application/json; charset=utf-8");
        }).RequireAuthorization(Policies.AuditView).WithTags("Audit")
            .WithSummary("The audit entries matching the filters, as the verifiable export document (entries with their hash chain)")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        return api;
    }
}
