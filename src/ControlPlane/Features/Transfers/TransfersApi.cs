using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Features.Transfers;

/// <summary>
/// Budget transfers over <c>/api/v1</c>, as a person does them on the Transfers page: the page's policy, the transfers
/// touching wallets the caller sees (<see cref="TransferQueries"/>), asking and deciding by <see cref="TransferService"/>.
/// </summary>
public static class TransfersApi
{
    public sealed record TransferJson(Guid Id, string State, Guid? FromWalletId, string From, Guid ToWalletId, string To, decimal Amount, string Reason,
        string RequestedBy, DateTime RequestedAt, DateTime PendingUntil, int ApprovalsNeeded, int Approvals, DateTime? GrantExpiresAt,
        IReadOnlyList<TransferDecisionRow> Decisions);

    public sealed record NewTransfer(Guid? ToWalletId, Guid? FromWalletId, decimal? Amount, string? Reason, DateTime? GrantExpiresAt);

    public sealed record Decision(string? Comment);

    public static RouteGroupBuilder MapTransfersApi(this RouteGroupBuilder api)
    {
        var transfers = api.MapGroup("/transfers").WithTags("Transfers");
        transfers.MapGet("", ListAsync).RequireAuthorization(Policies.TransfersView)
            .WithSummary("List transfers touching wallets the caller sees (?view=history|mine|queue, newest 200)").Produces<Page<TransferJson>>();
        transfers.MapGet("/{id:guid}", GetAsync).RequireAuthorization(Policies.TransfersView)
            .WithSummary("Read one transfer").Produces<TransferJson>();
        transfers.MapPost("", RequestAsync).RequireAuthorization(Policies.TransfersView).Idempotent()
            .WithSummary("Request budget for a wallet, from another wallet or the unallocated budget")
            .Accepts<NewTransfer>("application/json").Produces<TransferJson>(StatusCodes.Status201Created);
        transfers.MapPost("/{id:guid}/approve", (Guid id, HttpContext http, TransferQueries queries, TransferService service, CancellationToken ct) =>
                DecideAsync(id, approve: true, http, queries, service, ct)).RequireAuthorization(Policies.TransfersView)
            .WithSummary("Approve a pending transfer (FinanceAdmin, Owner; not one's own)").Accepts<Decision>("application/json").Produces<TransferJson>();
        transfers.MapPost("/{id:guid}/reject", (Guid id, HttpContext http, TransferQueries queries, TransferService service, CancellationToken ct) =>
                DecideAsync(id, approve: false, http, queries, service, ct)).RequireAuthorization(Policies.TransfersView)
            .WithSummary("Reject a pending transfer with a comment (FinanceAdmin, Owner)").Accepts<Decision>("application/json").Produces<TransferJson>();
        return api;
    }

    private static async Task<IResult> ListAsync(HttpContext http, TransferQueries queries, CancellationToken ct)
    {
        var view = http.Request.Query["view"].ToString() switch
        {
            "" or "history" => TransferView.History,
            "mine" => TransferView.Mine,
            "queue" => TransferView.Queue,
            _ => (TransferView?)null,
        };
        if (view is null) return ApiProblem.Invalid("view", "view is history, mine or queue.");
        return ApiPaging.Of(http.Request, (await queries.ListAsync(ManagementApi.ActorOf(http), view.Value, ct: ct)).Select(Json), t => t.Id);
    }

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, TransferQueries queries, CancellationToken ct) =>
        await FindAsync(http, queries, id, ct) is { } transfer ? ApiETag.Ok(http, transfer) : NoTransfer(id);

    private static async Task<IResult> RequestAsync(HttpContext http, TransferService service, TransferQueries queries, WalletQueries wallets,
        TimeProvider clock, CancellationToken ct)
    {
        var (body, bad) = await ApiJson.ReadAsync<NewTransfer>(http.Request, ct);
        if (bad is not null) return bad;
        if (body!.ToWalletId is not { } to) return ApiProblem.Invalid("toWalletId", "Name the wallet that gets the budget (toWalletId).");
        if (body.Amount is not { } amount) return ApiProblem.Invalid("amount", "Give the amount in USD as a JSON number, e.g. \"amount\": 25.");
        var form = new TransferForm { ToWalletId = to, FromWalletId = body.FromWalletId, Amount = amount, Reason = body.Reason ?? "", GrantExpiresAt = body.GrantExpiresAt };
        if (form.Problem(clock.GetUtcNow().UtcDateTime) is { } problem)
            return ApiProblem.Invalid(problem.Contains("amount", StringComparison.OrdinalIgnoreCase) ? "amount"
                : problem.StartsWith("Say why", StringComparison.Ordinal) || problem.StartsWith("The reason", StringComparison.Ordinal) ? "reason"
                : problem.Contains("expiry", StringComparison.Ordinal) ? "grantExpiresAt" : "fromWalletId", problem);
        var actor = ManagementApi.ActorOf(http);
        if (!TransferService.MayRequest(actor)) return ApiProblem.Forbidden("Only a team lead (for their teams' wallets), a FinanceAdmin or an Owner can request a transfer.");
        // Wallets the caller cannot see (a token limited to teams: the other teams' wallets) are as good as absent.
        var visible = (await wallets.OverviewAsync(actor, ct)).Wallets.Select(w => w.Id).ToHashSet();
        if (!visible.Contains(to)) return ApiProblem.NotFound($"There is no wallet {to} that you may see.");
        if (body.FromWalletId is { } from && !visible.Contains(from)) return ApiProblem.NotFound($"There is no wallet {from} that you may see.");
        var made = await service.RequestAsync(actor, form, ct);
        if (!made.Succeeded) return ManagementApi.Refusal(made.Error!);
        var transfer = await FindAsync(http, queries, made.Value!.Id, ct);
        return TypedResults.Created($"{ManagementApi.Prefix}/transfers/{made.Value.Id}", transfer);
    }

    private static async Task<IResult> DecideAsync(Guid id, bool approve, HttpContext http, TransferQueries queries, TransferService service, CancellationToken ct)
    {
        Decision? body = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            (body, var bad) = await ApiJson.ReadAsync<Decision>(http.Request, ct);
            if (bad is not null) return bad;
        }
        if (body?.Comment?.Length > TransferForm.MaxReasonLength) return ApiProblem.Invalid("comment", $"A comment is at most {TransferForm.MaxReasonLength} characters.");
        if (!approve && string.IsNullOrWhiteSpace(body?.Comment)) return ApiProblem.Invalid("comment", "Say why it is rejected: the requester reads the comment.");
        if (await FindAsync(http, queries, id, ct) is null) return NoTransfer(id);
        var actor = ManagementApi.ActorOf(http);
        var done = approve ? await service.ApproveAsync(actor, id, body?.Comment, ct) : await service.RejectAsync(actor, id, body?.Comment, ct);
        // What is left to fail is the state of things: decided, expired, one's own request, a second approval by the same person.
        return done.Succeeded ? TypedResults.Ok(await FindAsync(http, queries, id, ct)) : ManagementApi.Refusal(done.Error!, StatusCodes.Status409Conflict);
    }

    private static async Task<TransferJson?> FindAsync(HttpContext http, TransferQueries queries, Guid id, CancellationToken ct) =>
        (await queries.ListAsync(ManagementApi.ActorOf(http), TransferView.History, ct: ct)).Where(t => t.Id == id).Select(Json).FirstOrDefault()
        ?? (await queries.ListAsync(ManagementApi.ActorOf(http), TransferView.Mine, ct: ct)).Where(t => t.Id == id).Select(Json).FirstOrDefault();

    private static TransferJson Json(TransferRow t) => new(t.Id, t.State, t.FromWalletId, t.From, t.ToWalletId, t.To, t.Amount, t.Reason, t.RequestedBy,
        t.RequestedAt, t.PendingUntil, t.ApprovalsNeeded, t.Approvals, t.GrantExpiresAt, t.Decisions);

    private static ProblemHttpResult NoTransfer(Guid id) => ApiProblem.NotFound($"There is no transfer {id} that you may see.");
}
