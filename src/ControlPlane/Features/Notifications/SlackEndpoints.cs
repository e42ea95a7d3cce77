using System.Globalization;
using System.Text;
using System.Text.Json;
using ControlPlane.Infrastructure.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// The Slack app: slash commands (<c>/ai-budget</c>, <c>/ai-request 200 reason</c>) and the approve / reject buttons of
/// a transfer request's message. Slack, not a person's session, calls these: every request must carry Slack's v0
/// signature made with the app's signing secret, within five minutes. The Slack user acts as the ControlPlane person
/// they are linked to (<see cref="SlackUserLink"/>); the transfers feature (<see cref="ITransferDesk"/>) checks that
/// person's rights as its page does.
/// </summary>
public static class SlackEndpoints
{
    public static IEndpointRouteBuilder MapSlackEndpoints(this IEndpointRouteBuilder app)
    {
        // Anonymous to the cookie and key schemes: the Slack signature is the authentication, checked first in each handler.
        var slack = app.MapGroup("/slack").AllowAnonymous().DisableAntiforgery();
        slack.MapPost("/commands", CommandAsync);
        slack.MapPost("/interactions", InteractionAsync);
        return app;
    }

    /// <summary>What Slack shows the person who typed the command or clicked (only to them).</summary>
    public sealed record SlackReply(
        [property: System.Text.Json.Serialization.JsonPropertyName("response_type")] string ResponseType,
        [property: System.Text.Json.Serialization.JsonPropertyName("text")] string Text,
        [property: System.Text.Json.Serialization.JsonPropertyName("replace_original")] bool ReplaceOriginal = false);

    private static SlackReply Ephemeral(string text) => new("ephemeral", text);

    internal static async Task<Results<Ok<SlackReply>, UnauthorizedHttpResult, BadRequest<string>>> CommandAsync(
        HttpContext http, IOptions<NotificationOptions> options, IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock, CancellationToken ct)
    {
        var (body, refused) = await VerifiedBodyAsync(http, options.Value, clock, ct);
        if (refused is not null) return TypedResults.Unauthorized();
        var form = ParseForm(body);
        var command = form.GetValueOrDefault("command") ?? "";
        var userId = await LinkedUserAsync(dbFactory, form.GetValueOrDefault("team_id"), form.GetValueOrDefault("user_id"), ct);
        if (userId is null) return TypedResults.Ok(Ephemeral(NotLinked));
        var desk = http.RequestServices.GetService<ITransferDesk>();
        if (desk is null) return TypedResults.Ok(Ephemeral("Budget transfers are not available on this ControlPlane."));
        switch (command)
        {
            case "/ai-budget":
                var balances = await desk.BalancesAsync(userId.Value, ct);
                if (balances.Count == 0) return TypedResults.Ok(Ephemeral("None of your teams has a budget yet."));
                var lines = balances.Select(b => string.Create(CultureInfo.InvariantCulture,
                    $"*{b.Wallet}*: {b.Remaining:0.00} USD left of {b.Limit:0.00} (spent {b.Spent:0.00}), resets {b.ResetsAt:yyyy-MM-dd}"));
                return TypedResults.Ok(Ephemeral(string.Join("\n", lines)));
            case "/ai-request":
                var text = (form.GetValueOrDefault("text") ?? "").Trim();
                var space = text.IndexOf(' ', StringComparison.Ordinal);
                var amountText = space < 0 ? text : text[..space];
                var reason = space < 0 ? "" : text[(space + 1)..].Trim();
                if (!decimal.TryParse(amountText.TrimStart('$'), NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) || amount <= 0 || reason.Length == 0)
                    return TypedResults.Ok(Ephemeral("Usage: /ai-request <amount in USD> <reason>, e.g. /ai-request 200 load test for the search launch"));
                var outcome = await desk.RequestAsync(userId.Value, amount, reason, ct);
                return TypedResults.Ok(Ephemeral(outcome.Message));
            default:
                return TypedResults.BadRequest($"Unknown command '{command}': this app answers /ai-budget and /ai-request.");
        }
    }

    internal static async Task<Results<Ok<SlackReply>, UnauthorizedHttpResult, BadRequest<string>>> InteractionAsync(
        HttpContext http, IOptions<NotificationOptions> options, IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock, SlackResponseUrl responder,
        CancellationToken ct)
    {
        var (body, refused) = await VerifiedBodyAsync(http, options.Value, clock, ct);
        if (refused is not null) return TypedResults.Unauthorized();
        if (ParseForm(body).GetValueOrDefault("payload") is not { } json) return TypedResults.BadRequest("No payload.");
        JsonElement payload;
        try
        {
            payload = JsonDocument.Parse(json).RootElement.Clone();
        }
        catch (JsonException)
        {
            return TypedResults.BadRequest("The payload is not JSON.");
        }
        if (Text(payload, "type") != "block_actions" || !payload.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array || actions.GetArrayLength() == 0)
            return TypedResults.BadRequest("Only block actions (the approve and reject buttons) are handled here.");
        var action = actions[0];
        var actionId = Text(action, "action_id");
        if (actionId is not (SlackActions.Approve or SlackActions.Reject)) return TypedResults.Ok(Ephemeral("Nothing to do for that button."));
        if (!Guid.TryParse(Text(action, "value"), out var transferId)) return TypedResults.BadRequest("The button does not name a transfer.");
        var user = payload.TryGetProperty("user", out var u) ? u : default;
        var team = payload.TryGetProperty("team", out var t) && t.ValueKind == JsonValueKind.Object ? Text(t, "id") : null;
        var userId = await LinkedUserAsync(dbFactory, team ?? Text(user, "team_id"), Text(user, "id"), ct);
        if (userId is null) return TypedResults.Ok(Ephemeral(NotLinked));
        var desk = http.RequestServices.GetService<ITransferDesk>();
        if (desk is null) return TypedResults.Ok(Ephemeral("Budget transfers are not available on this ControlPlane."));
        var name = Text(user, "username") ?? Text(user, "name") ?? "Slack";
        var outcome = actionId == SlackActions.Approve
            ? await desk.ApproveAsync(userId.Value, transferId, $"Approved in Slack by {name}", ct)
            : await desk.RejectAsync(userId.Value, transferId, $"Rejected in Slack by {name}", ct);
        // A decided request's message is replaced for everyone in the channel: who decided, the new state, no buttons.
        if (outcome.Succeeded && outcome.State is "Approved" or "Rejected")
            await responder.ReplaceDecidedAsync(payload, outcome.State, name, outcome.Message, ct);
        return TypedResults.Ok(Ephemeral(outcome.Message));
    }

    internal const string NotLinked = "Your Slack user is not linked to a ControlPlane person yet: ask a ControlPlane admin to link it on the Notifications page (Slack users).";

    private static async Task<(string Body, string? Refused)> VerifiedBodyAsync(HttpContext http, NotificationOptions options, TimeProvider clock, CancellationToken ct)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(ct);
        var refused = SlackSignature.Check(options.SlackSigningSecret, http.Request.Headers[SlackSignature.TimestampHeader], http.Request.Headers[SlackSignature.SignatureHeader],
            body, clock.GetUtcNow());
        return (body, refused);
    }

    private static async Task<Guid?> LinkedUserAsync(IDbContextFactory<ControlPlaneDb> dbFactory, string? slackTeam, string? slackUser, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(slackTeam) || string.IsNullOrEmpty(slackUser)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await (from l in db.Set<SlackUserLink>().AsNoTracking()
                      join p in db.Users.AsNoTracking() on l.UserId equals p.Id
                      where l.SlackTeamId == slackTeam && l.SlackUserId == slackUser && p.IsActive
                      select (Guid?)l.UserId).FirstOrDefaultAsync(ct);
    }

    private static Dictionary<string, string> ParseForm(string body) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(body).ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
