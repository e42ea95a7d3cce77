using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// Wallets and their limits over <c>/api/v1</c>: each caller sees the wallets the Wallets page shows them
/// (<see cref="WalletQueries"/>); Owner and FinanceAdmin change them (<see cref="WalletService"/>). A wallet's ETag covers
/// its settings, not its spend, so a PUT is refused only when someone else changed the settings.
/// </summary>
public static class WalletsApi
{
    public sealed record WalletJson(Guid Id, string Name, string OwnerKind, Guid OwnerId, Guid? ParentWalletId, string Path, decimal? Limit,
        decimal OverdraftPercent, string Period, DateTime PeriodStart, DateTime? PeriodEnd, decimal Spent, decimal Held, decimal? Available,
        decimal? Utilisation, IReadOnlyList<int> Thresholds, string ExhaustionPolicy, string? DowngradeAlias);

    /// <summary>A wallet's settings (all of them: a PUT replaces them). Thresholds are percentages, e.g. [80, 90, 95].</summary>
    public sealed record WalletSettings(decimal? Limit, string? Period, decimal? OverdraftPercent, IReadOnlyList<int>? Thresholds, string? ExhaustionPolicy, string? DowngradeAlias);

    public sealed record NewWallet(string? OwnerKind, Guid? OwnerId, decimal? Limit, string? Period, decimal? OverdraftPercent, IReadOnlyList<int>? Thresholds,
        string? ExhaustionPolicy, string? DowngradeAlias);

    public static RouteGroupBuilder MapWalletsApi(this RouteGroupBuilder api)
    {
        var wallets = api.MapGroup("/wallets").WithTags("Wallets");
        wallets.MapGet("", ListAsync).RequireAuthorization(Policies.WalletsView)
            .WithSummary("List the wallets the caller may see, with this period's spend").Produces<Page<WalletJson>>();
        wallets.MapGet("/{id:guid}", GetAsync).RequireAuthorization(Policies.WalletsView)
            .WithSummary("Read one wallet (its ETag covers its settings)").Produces<WalletJson>();
        wallets.MapPost("", CreateAsync).RequireAuthorization(Policies.WalletsView).Idempotent()
            .WithSummary("Give the organisation, a team, a project or a key a budget (Owner, FinanceAdmin)")
            .Accepts<NewWallet>("application/json").Produces<WalletJson>(StatusCodes.Status201Created);
        wallets.MapPut("/{id:guid}", UpdateAsync).RequireAuthorization(Policies.WalletsView)
            .WithSummary("Replace a wallet's settings: limit, period, overdraft, thresholds, what happens when spent (Owner, FinanceAdmin)")
            .Accepts<WalletSettings>("application/json").Produces<WalletJson>();
        api.MapGet("/chargeback", Chargeback).RequireAuthorization(Policies.ChargebackExport).WithTags("Wallets")
            .WithSummary("The chargeback for a range of UTC days (?from=yyyy-MM-dd&to=yyyy-MM-dd[&team=id]) as CSV, as on the Wallets page")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        return api;
    }

    private static IResult Chargeback(HttpContext http, ChargebackExport export, CancellationToken ct)
    {
        var query = http.Request.Query;
        if (ChargebackExport.ParseDate(query["from"]) is not { } start) return ApiProblem.Invalid("from", "from is a UTC day, yyyy-MM-dd.");
        if (ChargebackExport.ParseDate(query["to"]) is not { } end) return ApiProblem.Invalid("to", "to is a UTC day, yyyy-MM-dd.");
        Guid? teamId = null;
        if (query["team"].ToString() is { Length: > 0 } team)
        {
            if (!Guid.TryParse(team, out var id)) return ApiProblem.Invalid("team", "team is a team's id.");
            teamId = id;
        }
        if (ChargebackExport.Validate(start, end) is { } problem) return ApiProblem.Invalid("to", problem);
        return Results.Stream(body => export.WriteCsvAsync(body, start, end, teamId, ct), "text/csv; charset=utf-8", $"chargeback-{start:yyyy-MM-dd}-to-{end:yyyy-MM-dd}.csv");
    }

    private static async Task<IResult> ListAsync(HttpContext http, WalletQueries queries, CancellationToken ct) =>
        ApiPaging.Of(http.Request, await VisibleAsync(http, queries, ct), w => w.Id);

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, WalletQueries queries, CancellationToken ct)
    {
        var row = (await queries.OverviewAsync(ManagementApi.ActorOf(http), ct)).Wallets.FirstOrDefault(w => w.Id == id);
        if (row is null) return NoWallet(id);
        http.Response.Headers.ETag = ApiETag.Of(SettingsOf(row));
        return TypedResults.Ok(Json(row));
    }

    private static async Task<IResult> CreateAsync(HttpContext http, WalletQueries queries, WalletService service, TeamDirectory teams,
        IDbContextFactory<ControlPlaneDb> dbFactory, CancellationToken ct)
    {
        var (body, bad) = await ApiJson.ReadAsync<NewWallet>(http.Request, ct);
        if (bad is not null) return bad;
        if (body!.OwnerKind is not (WalletOwners.Organization or WalletOwners.Team or WalletOwners.Project or WalletOwners.Key) || body.OwnerId is not { } ownerId)
            return ApiProblem.Invalid(body.OwnerKind is null ? "ownerKind" : "ownerId", "Name the owner: ownerKind (organization, team, project or key) and ownerId.");
        var actor = ManagementApi.ActorOf(http);
        if (!WalletService.MayEdit(actor)) return ApiProblem.Forbidden("Only an Owner or a FinanceAdmin can change budgets.");
        if (!await MaySeeOwnerAsync(actor, body.OwnerKind, ownerId, teams, dbFactory, ct))
            return ApiProblem.NotFound($"There is no {body.OwnerKind} {ownerId} that you may budget.");
        if ((await queries.OverviewAsync(actor, ct)).Wallets.Any(w => w.OwnerKind == body.OwnerKind && w.OwnerId == ownerId))
            return ApiProblem.Conflict($"That {body.OwnerKind} has a wallet already: change it with PUT.");
        var form = FormOf(new WalletSettings(body.Limit, body.Period, body.OverdraftPercent, body.Thresholds, body.ExhaustionPolicy, body.DowngradeAlias));
        if (Invalid(form) is { } invalid) return invalid;
        var saved = await service.SaveAsync(actor, body.OwnerKind, ownerId, form, ct);
        if (!saved.Succeeded) return ManagementApi.Refusal(saved.Error!);
        var row = (await queries.OverviewAsync(actor, ct)).Wallets.First(w => w.Id == saved.Value!.Id);
        http.Response.Headers.ETag = ApiETag.Of(SettingsOf(row));
        return TypedResults.Created($"{ManagementApi.Prefix}/wallets/{row.Id}", Json(row));
    }

    private static async Task<IResult> UpdateAsync(Guid id, HttpContext http, WalletQueries queries, WalletService service, CancellationToken ct)
    {
        var (body, bad) = await ApiJson.ReadAsync<WalletSettings>(http.Request, ct);
        if (bad is not null) return bad;
        var actor = ManagementApi.ActorOf(http);
        var row = (await queries.OverviewAsync(actor, ct)).Wallets.FirstOrDefault(w => w.Id == id);
        if (row is null) return NoWallet(id);
        if (ApiETag.Check(http.Request, SettingsOf(row)) is { } stale) return stale;
        var form = FormOf(body!);
        if (Invalid(form) is { } invalid) return invalid;
        var saved = await service.SaveAsync(actor, row.OwnerKind, row.OwnerId, form, ct);
        if (!saved.Succeeded) return ManagementApi.Refusal(saved.Error!);
        var now = (await queries.OverviewAsync(actor, ct)).Wallets.First(w => w.Id == id);
        http.Response.Headers.ETag = ApiETag.Of(SettingsOf(now));
        return TypedResults.Ok(Json(now));
    }

    /// <summary>The owner is one the caller sees (a token limited to teams budgets only those teams' things, never the organisation).</summary>
    private static async Task<bool> MaySeeOwnerAsync(Actor actor, string kind, Guid ownerId, TeamDirectory teams, IDbContextFactory<ControlPlaneDb> dbFactory, CancellationToken ct)
    {
        if (kind == WalletOwners.Organization) return actor.IsOrgWide;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        Guid? team = kind switch
        {
            WalletOwners.Team => await db.Teams.AsNoTracking().Where(t => t.Id == ownerId).Select(t => (Guid?)t.Id).FirstOrDefaultAsync(ct),
            WalletOwners.Project => await db.Projects.AsNoTracking().Where(p => p.Id == ownerId).Select(p => (Guid?)p.TeamId).FirstOrDefaultAsync(ct),
            _ => await db.ApiKeys.AsNoTracking().Where(k => k.Id == ownerId).Select(k => (Guid?)k.TeamId).FirstOrDefaultAsync(ct),
        };
        return team is { } t && (await teams.VisibleToAsync(actor, ct)).Includes(t);
    }

    private static WalletForm FormOf(WalletSettings s) => new()
    {
        Limit = s.Limit, Period = s.Period ?? WalletPeriods.Monthly, OverdraftPercent = s.OverdraftPercent ?? 0,
        Thresholds = s.Thresholds is null ? WalletRules.DefaultThresholds : string.Join(",", s.Thresholds),
        ExhaustionPolicy = s.ExhaustionPolicy ?? ExhaustionPolicies.Block, DowngradeAlias = s.DowngradeAlias,
    };

    /// <summary>The service's own validation, with the field it is about.</summary>
    private static ValidationProblem? Invalid(WalletForm form) => WalletService.Validate(form) is not { } problem ? null : ApiProblem.Invalid(
        problem.StartsWith("A limit", StringComparison.Ordinal) ? "limit"
        : problem.StartsWith("The period", StringComparison.Ordinal) ? "period"
        : problem.StartsWith("Overdraft", StringComparison.Ordinal) ? "overdraftPercent"
        : problem.StartsWith("Thresholds", StringComparison.Ordinal) ? "thresholds"
        : problem.StartsWith("Name the cheaper", StringComparison.Ordinal) ? "downgradeAlias"
        : "exhaustionPolicy", problem);

    private static WalletSettings SettingsOf(WalletRow w) => new(w.Limit, w.Period, w.OverdraftPercent, w.Thresholds, w.ExhaustionPolicy, w.DowngradeAlias);

    private static async Task<List<WalletJson>> VisibleAsync(HttpContext http, WalletQueries queries, CancellationToken ct) =>
        [.. (await queries.OverviewAsync(ManagementApi.ActorOf(http), ct)).Wallets.Select(Json)];

    private static WalletJson Json(WalletRow w) => new(w.Id, w.Name, w.OwnerKind, w.OwnerId, w.ParentWalletId, w.Path, w.Limit, w.OverdraftPercent, w.Period,
        w.PeriodStart, w.PeriodEnd, w.Spent, w.Leased, w.Available, w.Utilisation, w.Thresholds, w.ExhaustionPolicy, w.DowngradeAlias);

    private static ProblemHttpResult NoWallet(Guid id) => ApiProblem.NotFound($"There is no wallet {id} that you may see.");
}
