using System.Globalization;
using System.Text;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Routing;

/// <summary>
/// What the explain box asks: a request body (or a logged call whose request was kept), as a key or a team, with the
/// headers a caller could send.
/// </summary>
public sealed class ExplainForm
{
    public string Request { get; set; } = "";
    public string? CallId { get; set; }
    /// <summary>The key's prefix (cp-…) as the Keys page shows it; or a team (the call then has no key or project).</summary>
    public string KeyPrefix { get; set; } = "";
    public Guid? TeamId { get; set; }
    public string Tags { get; set; } = "";
    public string Region { get; set; } = "";
    public string Caller { get; set; } = "";
}

public sealed record ExplainCandidate(int? Order, string Provider, string Model, string Price, string Capabilities, string Health, string? P95, string? Note);

public sealed record ExplainResult(string Model, string? Reason, string? Refusal, string? WorstCase, string? Lock,
    IReadOnlyList<(int Number, string Name, string Verdict)> Rules, IReadOnlyList<ExplainCandidate> Candidates);

/// <summary>
/// The explain box: runs the gateway's own decision (<see cref="RouteSelector"/> → <see cref="RouteDecider"/>, the same
/// inspection and token counting) on a pasted request and says which rule matched, the candidates with prices,
/// capabilities and health, and the pick. Nothing is sent, held or logged. A weighted pick is one draw of the dice.
/// </summary>
public sealed class RouteExplainer(IDbContextFactory<ControlPlaneDb> dbFactory, RouteSelector routes, GatewayCatalog catalog, RoutingTable table, TimeProvider clock)
{
    public async Task<Outcome<ExplainResult>> ExplainAsync(Actor actor, ExplainForm form, CancellationToken ct = default)
    {
        if (!RoutingService.MayView(actor)) return Outcome.Fail<ExplainResult>("Only an Owner, Admin or Auditor can explain routing.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var body = form.Request;
        var door = WireFormat.OpenAIChat;
        Guid? keyId = null;
        var caller = string.IsNullOrWhiteSpace(form.Caller) ? null : form.Caller.Trim();
        if (!string.IsNullOrWhiteSpace(form.CallId))
        {
            var text = form.CallId.Trim();
            if (!Guid.TryParse(text.StartsWith("req_", StringComparison.Ordinal) ? text[4..] : text, out var callId))
                return Outcome.Fail<ExplainResult>("A call is named by its request id (req_…) as the Requests page shows it.");
            var call = await db.Calls.AsNoTracking().FirstOrDefaultAsync(c => c.Id == callId, ct);
            if (call is null) return Outcome.Fail<ExplainResult>($"No call {text} is in the log.");
            var payload = await db.CallPayloads.AsNoTracking().FirstOrDefaultAsync(p => p.CallId == callId, ct);
            if (payload is null) return Outcome.Fail<ExplainResult>("That call's request was not kept (its team keeps no prompts); paste the request instead.");
            body = payload.Request;
            door = call.Endpoint == "messages" ? WireFormat.AnthropicMessages : WireFormat.OpenAIChat;
            keyId ??= call.KeyId;
            caller ??= call.Caller;
        }
        if (string.IsNullOrWhiteSpace(body)) return Outcome.Fail<ExplainResult>("Paste a request body (the JSON sent to /v1/chat/completions), or give a call's request id.");

        Guid? teamId = form.TeamId, projectId = null;
        string? prefix = null;
        if (keyId is not null || !string.IsNullOrWhiteSpace(form.KeyPrefix))
        {
            var wanted = form.KeyPrefix.Trim();
            var key = keyId is { } id
                ? await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, ct)
                : await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Prefix == wanted, ct);
            if (key is null) return Outcome.Fail<ExplainResult>(keyId is null ? $"No key has the prefix '{wanted}'." : "That call's key no longer exists.");
            (teamId, projectId, prefix) = (key.TeamId, key.ProjectId, key.Prefix);
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        if (!WireTranslation.TryInspect(bytes, door, out var info, out var invalid))
            return Outcome.Fail<ExplainResult>($"The gateway would refuse this request: {invalid!.Message}");
        var request = info!;
        var input = new RouteInput(request, teamId, projectId, prefix, caller, request.EndUser, RouteInput.TagsOf(form.Tags, bytes),
            string.IsNullOrWhiteSpace(form.Region) ? null : form.Region.Trim());
        long CountText(Microsoft.ML.Tokenizers.Tokenizer tokenizer) => InputMeasure.TextTokens(bytes, tokenizer);
        var trace = new RouteTrace();
        var (plan, refusal) = routes.Plan(input, ModelKinds.Chat, trace, CountText);
        return Describe(request.Model, plan, refusal, trace);
    }

    private ExplainResult Describe(string model, RoutePlan? plan, RouteRefusal? refusal, RouteTrace trace)
    {
        var current = catalog.Current;
        var routing = table.Current;
        var now = clock.GetUtcNow().UtcDateTime;
        var candidates = new List<ExplainCandidate>();
        var planned = plan?.Targets ?? [];
        for (var i = 0; i < planned.Count; i++)
        {
            var (target, rate) = planned[i];
            candidates.Add(Candidate(i + 1, target, rate, trace.Candidates.FirstOrDefault(c => Same(c.Target, target)).Note));
        }
        foreach (var (target, note) in trace.Candidates)
            if (!planned.Any(p => Same(p.Target, target)))
                candidates.Add(Candidate(null, target, current.Prices.TryGetRate(target.Provider.Id, target.UpstreamModel, now, out var rate) ? rate : null, note));
        // No rule chose: show the alias's own chain when the plan did not (a refusal), so the admin sees what was there.
        if (candidates.Count == 0 && current.Models.TryGetValue(model, out var entry))
            foreach (var target in entry.Targets)
                candidates.Add(Candidate(null, target, current.Prices.TryGetRate(target.Provider.Id, target.UpstreamModel, now, out var rate) ? rate : null, null));
        return new ExplainResult(model, plan?.Reason, refusal?.Error.Message, plan is null ? null : Usd(plan.WorstCaseCost), RouteDecider.Describe(trace.Lock),
            trace.Rules, candidates);

        ExplainCandidate Candidate(int? order, RouteTarget target, Metering.PriceRate? rate, string? note) => new(order, target.Provider.Name, target.UpstreamModel,
            rate is null ? "unpriced" : $"{Usd(rate.InputPerMillion)} in / {Usd(rate.OutputPerMillion)} out per M",
            target.Capabilities.Describe(), current.Down.Contains(target.Provider.Id) ? "down" : "up",
            routing.P95Of(target.Provider.Name, target.UpstreamModel) is { } p95 ? $"{p95:0} ms" : null, note);
    }

    private static bool Same(RouteTarget a, RouteTarget b) => a.Provider.Id == b.Provider.Id && a.UpstreamModel == b.UpstreamModel;

    private static string Usd(decimal value) => "$" + value.ToString("0.########", CultureInfo.InvariantCulture);
}
