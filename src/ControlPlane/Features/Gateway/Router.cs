using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Gateway.Providers;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// The targets a call will try, in order, each with the price in force now (null: unpriced, allowed by policy).
/// <see cref="MaxOutputTokens"/> is held for each of <see cref="Choices"/> answers and is also the cap sent upstream;
/// <see cref="InputTokensBound"/> is the largest of the targets' input bounds.
/// </summary>
public sealed record RoutePlan(string Alias, IReadOnlyList<(RouteTarget Target, PriceRate? Rate)> Targets, decimal WorstCaseCost, long MaxOutputTokens)
{
    public long InputTokensBound { get; init; }

    public int Choices { get; init; } = 1;

    /// <summary>Providers of the alias left out because the health poller found them down (another target was up).</summary>
    public IReadOnlyList<string> SkippedDown { get; init; } = [];

    /// <summary>The routing rule that chose the targets, e.g. "rule 3 'batch→cheap' matched tags=batch" (null: the alias's own chain).</summary>
    public string? Decision { get; init; }

    /// <summary>Why the first target was picked, e.g. "weight 70 %" (with a <see cref="Decision"/>).</summary>
    public string? PickNote { get; init; }

    /// <summary>The region lock the targets were held to, e.g. "region lock eu (team 'Platform')".</summary>
    public string? Residency { get; init; }

    public string Reason => (Decision is null
            ? $"alias '{Alias}' → {Describe(0)}"
            : $"{Decision}; picked {Describe(0)}" + (PickNote is null ? "" : $" ({PickNote})"))
        + (Targets.Count > 1 ? $" ({Targets.Count - 1} fallback{(Targets.Count > 2 ? "s" : "")})" : "")
        + (SkippedDown.Count > 0 ? $" (skipped {string.Join(", ", SkippedDown)}: down)" : "")
        + (Residency is null ? "" : $"; {Residency}");

    public string ReasonFor(int index, IReadOnlyList<string> failedOver) =>
        index == 0 ? Reason
        : (Decision is null ? $"alias '{Alias}' → {Describe(index)}" : $"{Decision}; picked {Describe(index)}")
            + $" after failover ({string.Join("; ", failedOver)})" + (Residency is null ? "" : $"; {Residency}");

    private string Describe(int i) => $"{Targets[i].Target.Provider.Name}/{Targets[i].Target.UpstreamModel}";
}

public sealed record RouteRefusal(WireError Error, string ErrorClass);

/// <summary>
/// Picks the targets for a call from the catalogue: the alias's targets in priority order, without unpriced ones
/// unless the admin allowed those. Routing rules (Features/Routing, <c>RouteSelector</c>) sit in front of this.
/// </summary>
public static class Router
{
    /// <summary>
    /// The plan for a call: its targets and the hold, the largest over targets of the input bound priced with the
    /// output allowance times the answers asked for. <paramref name="counter"/> counts the request's text with a
    /// tokenizer; null: byte-level bounds for every target.
    /// </summary>
    public static (RoutePlan? Plan, RouteRefusal? Refusal) Plan(GatewayCatalog.Snapshot catalog, RequestInfo info, string kind, GatewayOptions options, DateTime? at = null, InputBound.TextTokenCounter? counter = null)
    {
        var now = at ?? DateTime.UtcNow;
        if (!catalog.Models.TryGetValue(info.Model, out var entry))
            return Refuse(404, "not_found_error", $"The model '{info.Model}' does not exist or this key may not use it. GET /v1/models lists the models you can use.", "unknown_model", "model_not_found");
        if (entry.Kind != kind)
            return Refuse(400, "invalid_request_error", kind == ModelKinds.Chat
                ? $"'{info.Model}' is an embedding model; send it to /v1/embeddings."
                : $"'{info.Model}' is a chat model; send it to /v1/chat/completions.", "wrong_model_kind", "model_not_supported");
        if (entry.Targets.Count == 0)
            return Refuse(503, "overloaded_error", $"No enabled provider serves '{info.Model}' right now; an admin can enable one on the Providers page.", "no_provider", "no_provider");
        return PlanTargets(catalog, entry.Alias, entry.Targets, info, options, now, counter);
    }

    /// <summary>
    /// The plan over given targets (the alias's chain, or what a routing rule chose): priced, without unpriced ones unless
    /// allowed, without providers that are down while another is up, with the hold.
    /// </summary>
    public static (RoutePlan? Plan, RouteRefusal? Refusal) PlanTargets(GatewayCatalog.Snapshot catalog, string alias, IReadOnlyList<RouteTarget> chosen, RequestInfo info,
        GatewayOptions options, DateTime now, InputBound.TextTokenCounter? counter)
    {
        var targets = new List<(RouteTarget, PriceRate?)>(chosen.Count);
        foreach (var target in chosen)
        {
            if (catalog.Prices.TryGetRate(target.Provider.Id, target.UpstreamModel, now, out var rate)) targets.Add((target, rate));
            else if (options.UnpricedModels == UnpricedModelPolicy.AllowAndFlag) targets.Add((target, null));
        }
        var skipped = SkipDown(targets, catalog.Down);
        if (targets.Count == 0)
            return Refuse(403, "permission_error", $"The model '{info.Model}' has no price in the price book, so ControlPlane refuses it rather than cost it at $0. An admin can add its price.", "unpriced_model", "model_not_priced");

        var maxOutput = (long)(info.MaxOutputTokens ?? options.DefaultMaxOutputTokens);
        var choices = Math.Max(1, info.Choices);
        var worstCase = 0m;
        var inputBound = 0L;
        var counted = Remembered(counter);
        foreach (var (target, rate) in targets)
        {
            var input = InputBound.For(target, info, options.InputBounds, counted);
            inputBound = Math.Max(inputBound, input);
            if (rate is not null) worstCase = Math.Max(worstCase, rate.WorstCaseOf(input, maxOutput * choices, cacheWrites: target.Provider.Kind == ProviderKinds.Anthropic));
        }
        return (new RoutePlan(alias, targets, worstCase, maxOutput) { InputTokensBound = inputBound, Choices = choices, SkippedDown = skipped }, null);
    }

    /// <summary>
    /// Drops the targets of providers that are down while at least one target is not: failing over to a provider known
    /// to be down only costs the caller time. When every target is down they all stay (the poller may be behind).
    /// </summary>
    private static List<string> SkipDown(List<(RouteTarget Target, PriceRate? Rate)> targets, IReadOnlySet<Guid> down)
    {
        if (down.Count == 0 || targets.TrueForAll(t => down.Contains(t.Target.Provider.Id))) return [];
        var skipped = targets.Where(t => down.Contains(t.Target.Provider.Id)).Select(t => t.Target.Provider.Name).Distinct().ToList();
        targets.RemoveAll(t => down.Contains(t.Target.Provider.Id));
        return skipped;
    }

    /// <summary>Targets of one alias often share an encoding: count the text once per tokenizer.</summary>
    private static InputBound.TextTokenCounter? Remembered(InputBound.TextTokenCounter? counter)
    {
        if (counter is null) return null;
        (Microsoft.ML.Tokenizers.Tokenizer Tokenizer, long Tokens)? last = null;
        return tokenizer =>
        {
            if (last is { } seen && ReferenceEquals(seen.Tokenizer, tokenizer)) return seen.Tokens;
            var tokens = counter(tokenizer);
            last = (tokenizer, tokens);
            return tokens;
        };
    }

    internal static (RoutePlan?, RouteRefusal?) Refuse(int status, string type, string message, string errorClass, string code) =>
        (null, new RouteRefusal(new WireError(status, type, message, Param: "model", Code: code), errorClass));
}
