using System.Security.Claims;
using System.Text.Json;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Transfers;

/// <summary>
/// Budget transfers for automation, authenticated by a gateway key (<see cref="Policies.GatewayCaller"/>):
/// <list type="bullet">
/// <item><c>GET /v1/wallet/balance</c>: the wallets that cover the key's calls (key, project, team and up to the
/// organisation), with numbers only for those a key holder may see (as in a 402 body).</item>
/// <item><c>POST /v1/wallet/transfers</c>: a request on the key's behalf, when its team allows it
/// (<see cref="Team.AllowKeyTransferRequests"/>).</item>
/// <item><c>POST /v1/wallet/transfers/{id}/approve|reject</c>: when its team allows it
/// (<see cref="Team.AllowKeyTransferDecisions"/>) and <see cref="TransferService"/> lets the actor decide.</item>
/// </list>
/// A key is not a person, so it acts as the person who created it: that user must still be active and still manage
/// the key's team (a lead of it, or an Owner/Admin), else 403. A team lead's key so asks for its team's wallets
/// exactly as the lead could on the Transfers page, and decides nothing (only FinanceAdmins and Owners decide). The
/// service audits every action under the creator's name. Errors are RFC 9457 problem details.
/// </summary>
public static class WalletApiEndpoints
{
    public const string Prefix = "/v1/wallet";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The body of <c>POST /v1/wallet/transfers</c>; amounts are JSON numbers in USD.</summary>
    public sealed record TransferRequestBody(Guid? ToWalletId, Guid? FromWalletId, decimal? Amount, string? Reason, DateTime? ExpiresAt);

    /// <summary>The body of approve and reject (optional for approve; reject needs a comment).</summary>
    public sealed record DecisionBody(string? Comment);

    public sealed record BalanceRow(Guid Id, string Name, string Owner, bool Shown, decimal? Limit, decimal? Spent, decimal? Held, decimal? Available, DateTime? ResetsAt);

    public sealed record TransferJson(Guid Id, string State, Guid? FromWalletId, Guid ToWalletId, decimal Amount, string Reason, int ApprovalsNeeded,
        string RequestedBy, DateTime RequestedAt, DateTime PendingUntil, DateTime? GrantExpiresAt, DateTime? DecidedAt);

    public static IEndpointRouteBuilder MapWalletApiEndpoints(this IEndpointRouteBuilder app)
    {
        var wallet = app.MapGroup(Prefix).RequireAuthorization(Policies.GatewayCaller).DisableAntiforgery();
        wallet.MapGet("/balance", BalanceAsync);
        wallet.MapPost("/transfers", RequestAsync);
        wallet.MapPost("/transfers/{id}/approve", (HttpContext http, string id, IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, TransferService transfers, CancellationToken ct) =>
            DecideAsync(http, id, approve: true, dbFactory, teams, transfers, ct));
        wallet.MapPost("/transfers/{id}/reject", (HttpContext http, string id, IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, TransferService transfers, CancellationToken ct) =>
            DecideAsync(http, id, approve: false, dbFactory, teams, transfers, ct));
        return app;
    }

    private static async Task<IResult> BalanceAsync(ClaimsPrincipal caller, IDbContextFactory<ControlPlaneDb> dbFactory, WalletBook book, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await KeyOfAsync(caller, db, ct) is not { } key) return UnknownKey();
        var entry = new KeyEntry(key.Id, key.TeamId, key.Prefix, key.Name, key.ExpiresAt, key.RevokedAt, ProjectId: key.ProjectId);
        var rows = book.ChainFor(key.Id, key.TeamId, key.ProjectId).Select(w => w.ShownTo(entry)
            ? new BalanceRow(w.Id, w.Name, w.OwnerKind, true, w.Limit, w.Spent, w.Leased, w.Ceiling is { } c ? Math.Max(0, c - w.Spent - w.Leased) : null, w.PeriodEndsAt)
            // A parent team's or the organisation's wallet: named, with its reset, but its money is not the key holder's to read.
            : new BalanceRow(w.Id, w.Name, w.OwnerKind, false, null, null, null, null, w.PeriodEndsAt));
        return Results.Json(new { key = key.Prefix, wallets = rows.ToList() }, Json);
    }

    private static async Task<IResult> RequestAsync(HttpContext http, IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, TransferService transfers,
        TimeProvider clock, CancellationToken ct)
    {
        var (body, bad) = await ReadAsync<TransferRequestBody>(http, ct);
        if (bad is not null) return bad;
        if (body!.Amount is not { } amount) return Problem(StatusCodes.Status400BadRequest, "Invalid request", "Give the amount in USD as a JSON number, e.g. \"amount\": 25.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await KeyOfAsync(http.User, db, ct) is not { } key) return UnknownKey();
        var team = await db.Teams.AsNoTracking().FirstAsync(t => t.Id == key.TeamId, ct);
        if (!team.AllowKeyTransferRequests)
            return Forbidden($"Team '{team.Name}' does not let its keys request transfers; an Owner or Admin can allow it on the Teams page.");
        var (actor, refusal) = await ActorOfAsync(db, key, team, teams, ct);
        if (actor is null) return refusal!;

        // By default the budget goes to the key's own team's wallet.
        var to = body.ToWalletId ?? await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == key.TeamId)
            .Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct);
        if (to is null) return Problem(StatusCodes.Status400BadRequest, "Invalid request", $"Team '{team.Name}' has no wallet; give to_wallet_id.");
        var form = new TransferForm { ToWalletId = to.Value, FromWalletId = body.FromWalletId, Amount = amount, Reason = body.Reason ?? "", GrantExpiresAt = body.ExpiresAt };
        if (form.Problem(clock.GetUtcNow().UtcDateTime) is { } problem) return Problem(StatusCodes.Status400BadRequest, "Invalid request", problem);
        if (!TransferService.MayRequest(actor)) return Forbidden($"The key's creator {actor.Name} may not request transfers.");
        if (!TransferService.MayDecide(actor))
        {
            // The service checks this too; checked here first so that it answers 403, not 400.
            var scope = await teams.ManagedByAsync(actor, ct);
            foreach (var id in new[] { form.ToWalletId, form.FromWalletId }.OfType<Guid>())
                if (await db.Wallets.AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, ct) is { } wallet
                    && (await TransferService.TeamOfAsync(db, wallet, ct) is not { } owner || !scope.Includes(owner)))
                    return Forbidden($"The key's creator {actor.Name} may request transfers only for the wallets of teams they lead; '{wallet.Name}' is not one of them.");
        }

        var made = await transfers.RequestAsync(actor, form, ct);
        if (!made.Succeeded) return Problem(StatusCodes.Status400BadRequest, "Invalid request", made.Error!);
        return Results.Json(ViewOf(made.Value!), Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> DecideAsync(HttpContext http, string id, bool approve, IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams,
        TransferService transfers, CancellationToken ct)
    {
        var (body, bad) = await ReadAsync<DecisionBody>(http, ct, emptyIsNull: true);
        if (bad is not null) return bad;
        var comment = body?.Comment;
        if (comment?.Length > TransferForm.MaxReasonLength) return Problem(StatusCodes.Status400BadRequest, "Invalid request", $"A comment is at most {TransferForm.MaxReasonLength} characters.");
        if (!approve && string.IsNullOrWhiteSpace(comment)) return Problem(StatusCodes.Status400BadRequest, "Invalid request", "Say why it is rejected (comment): the requester reads it.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await KeyOfAsync(http.User, db, ct) is not { } key) return UnknownKey();
        if (!Guid.TryParse(id, out var transferId)
            || await db.Transfers.AsNoTracking().FirstOrDefaultAsync(t => t.Id == transferId, ct) is not { } transfer)
            return Problem(StatusCodes.Status404NotFound, "No such transfer", $"There is no transfer '{id}'.");
        var team = await db.Teams.AsNoTracking().FirstAsync(t => t.Id == key.TeamId, ct);
        if (!team.AllowKeyTransferDecisions)
            return Forbidden($"Team '{team.Name}' does not let its keys approve or reject transfers; an Owner or Admin can allow it on the Teams page.");
        var (actor, refusal) = await ActorOfAsync(db, key, team, teams, ct);
        if (actor is null) return refusal!;
        if (!TransferService.MayDecide(actor))
            return Forbidden($"The key acts as its creator {actor.Name} ({actor.Role}); only a FinanceAdmin or an Owner can approve or reject transfers.");
        if ((actor.UserId is { } me && transfer.RequestedById == me) || string.Equals(actor.Name, transfer.RequestedBy, StringComparison.OrdinalIgnoreCase))
            return Forbidden("The key's creator requested this transfer: someone else must decide it.");

        var done = approve ? await transfers.ApproveAsync(actor, transferId, comment, ct) : await transfers.RejectAsync(actor, transferId, comment, ct);
        // What is left to fail is the state of things: already decided, expired, a second approval by the same
        // person, or a source short of funds.
        return done.Succeeded ? Results.Json(ViewOf(done.Value!), Json) : Problem(StatusCodes.Status409Conflict, "Conflict", done.Error!);
    }

    /// <summary>The key's creator as the one acting, or a 403 saying why the key cannot act.</summary>
    private static async Task<(Actor? Actor, IResult? Refusal)> ActorOfAsync(ControlPlaneDb db, ApiKey key, Team team, TeamDirectory teams, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Email == key.CreatedBy, ct);
        if (user is null || !user.IsActive || !People.Roles.IsKnown(user.Role))
            return (null, Forbidden($"The key acts as the person who created it, and {key.CreatedBy} is not an active ControlPlane user; ask a lead of '{team.Name}' for a key of their own."));
        var actor = new Actor(user.Id, user.Email, user.Role);
        if (!(await teams.ManagedByAsync(actor, ct)).Includes(key.TeamId))
            return (null, Forbidden($"The key acts as the person who created it, and {user.Email} no longer leads '{team.Name}'; ask a current lead for a new key."));
        return (actor, null);
    }

    private static async Task<ApiKey?> KeyOfAsync(ClaimsPrincipal caller, ControlPlaneDb db, CancellationToken ct) =>
        Guid.TryParse(caller.FindFirstValue(Policies.GatewayKeyClaim), out var id) ? await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, ct) : null;

    /// <summary>The JSON body, or a 400 problem when it is not JSON of that shape.</summary>
    private static async Task<(T? Body, IResult? Bad)> ReadAsync<T>(HttpContext http, CancellationToken ct, bool emptyIsNull = false) where T : class
    {
        try
        {
            if (emptyIsNull && http.Request.ContentLength is 0 or null && http.Request.Headers.TransferEncoding.Count == 0) return (null, null);
            var body = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, Json, ct);
            return body is null ? (null, Problem(StatusCodes.Status400BadRequest, "Invalid JSON", "Send a JSON object as the body.")) : (body, null);
        }
        catch (JsonException ex)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "Invalid JSON", $"The body is not valid JSON for this call: {ex.Message}"));
        }
    }

    private static TransferJson ViewOf(Transfer t) => new(t.Id, t.State, t.FromWalletId, t.ToWalletId, t.Amount, t.Reason, t.ApprovalsNeeded,
        t.RequestedBy, t.RequestedAt, t.PendingUntil, t.GrantExpiresAt, t.DecidedAt);

    private static IResult Forbidden(string detail) => Problem(StatusCodes.Status403Forbidden, "Not allowed", detail);

    private static IResult UnknownKey() => Forbidden("This key no longer exists.");

    private static IResult Problem(int status, string title, string detail) => Results.Problem(detail: detail, statusCode: status, title: title);
}
