using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.Wallets;

public static class WalletsEndpoints
{
    public const string ChargebackPath = "/wallets/chargeback.csv";

    /// <summary>The link the Wallets page offers for a range (and optionally a team with its subteams).</summary>
    public static string ChargebackUrl(DateOnly from, DateOnly to, Guid? teamId = null) =>
        $"{ChargebackPath}?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}{(teamId is { } t ? $"&team={t}" : "")}";

    /// <summary>GET /wallets/chargeback.csv?from=yyyy-MM-dd&amp;to=yyyy-MM-dd[&amp;team=id]: the chargeback, streamed as CSV.</summary>
    public static IEndpointRouteBuilder MapWalletsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(ChargebackPath, (string? from, string? to, string? team, ChargebackExport export, CancellationToken ct) =>
        {
            if (ChargebackExport.ParseDate(from) is not { } start || ChargebackExport.ParseDate(to) is not { } end)
                return Results.Text("Give the range as from=yyyy-MM-dd and to=yyyy-MM-dd (UTC days, both included).", "text/plain", statusCode: StatusCodes.Status400BadRequest);
            Guid? teamId = null;
            if (!string.IsNullOrEmpty(team))
            {
                if (!Guid.TryParse(team, out var id))
                    return Results.Text("The team is a team id.", "text/plain", statusCode: StatusCodes.Status400BadRequest);
                teamId = id;
            }
            if (ChargebackExport.Validate(start, end) is { } problem)
                return Results.Text(problem, "text/plain", statusCode: StatusCodes.Status400BadRequest);
            return Results.Stream(body => export.WriteCsvAsync(body, start, end, teamId, ct), "text/csv; charset=utf-8",
                $"chargeback-{start:yyyy-MM-dd}-to-{end:yyyy-MM-dd}.csv");
        }).RequireAuthorization(Policies.ChargebackExport);
        return app;
    }
}
