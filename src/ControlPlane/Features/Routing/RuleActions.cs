using System.Globalization;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Routing;

/// <summary>
/// What each action does with a matching rule's targets: the ordered list the call will try (first = picked, the rest
/// failover), or null when the rule names no target of the call's kind (the next rule is tried), or a refusal.
/// </summary>
internal static class RuleActions
{
    public static List<RouteTarget>? Choose(CompiledRule rule, GatewayCatalog.Snapshot catalog, RoutingSnapshot routing, RouteInput input, string kind,
        ResidencyLock? residency, DateTime now, Random random, RouteTrace? trace, out string? note, out RouteRefusal? refusal)
    {
        note = null;
        refusal = null;
        var action = rule.Action;
        var groups = new List<ResolvedRef>();
        foreach (var group in rule.Resolve(catalog))
            if (group.Kind == kind) groups.Add(group);
        // Local first without a pool of its own works on the alias the caller asked for.
        if (groups.Count == 0 && action.Kind == RuleActionKinds.LocalFirst && action.Targets.Count == 0
            && catalog.Models.TryGetValue(input.Info.Model, out var asked) && asked.Kind == kind && asked.Targets.Count > 0)
            groups.Add(new ResolvedRef(asked.Alias, 1, kind, [.. asked.Targets]));
        if (groups.Count == 0) return null;

        if (residency is not null)
        {
            var outside = groups.SelectMany(g => g.Targets).ToList();
            groups = [.. groups.Select(g => g with { Targets = [.. g.Targets.Where(t => t.Capabilities.InRegion(residency.Region))] }).Where(g => g.Targets.Length > 0)];
            if (groups.Count == 0)
            {
                refusal = RouteDecider.ResidencyRefusal(residency, input.Info.Model, outside);
                return null;
            }
        }

        switch (action.Kind)
        {
            case RuleActionKinds.Weighted:
                return Weighted(groups, random, out note);
            case RuleActionKinds.Cheapest:
                var cheapest = Cheapest(groups, catalog, routing, input.Info, action, now, trace, out note);
                if (cheapest.Count == 0)
                    refusal = new RouteRefusal(new WireError(503, "overloaded_error",
                        $"Routing rule {rule.Number} '{rule.Name}' found no target that meets its constraints for this call (context, tools, vision, latency, providers, regions); an admin can widen them on the Routing page.",
                        Param: "model", Code: "no_target_meets_constraints"), "route_no_target");
                return refusal is null ? cheapest : null;
            case RuleActionKinds.LocalFirst:
                return LocalFirst(groups, catalog, input.Info, trace, out note);
            default:
                return Flatten(groups); // the reason's "(n fallbacks)" says the rest

        }
    }

    /// <summary>One group drawn by weight; the other groups follow in the rule's order as failover.</summary>
    private static List<RouteTarget> Weighted(List<ResolvedRef> groups, Random random, out string? note)
    {
        var total = 0;
        foreach (var g in groups) total += g.Weight;
        var picked = 0;
        if (total > 0)
        {
            var draw = random.Next(total);
            for (var i = 0; i < groups.Count; i++)
            {
                if (draw < groups[i].Weight)
                {
                    picked = i;
                    break;
                }
                draw -= groups[i].Weight;
            }
        }
        note = $"weight {(total == 0 ? 100 : Math.Round(100m * groups[picked].Weight / total)).ToString(CultureInfo.InvariantCulture)} %";
        var order = new List<ResolvedRef>(groups.Count) { groups[picked] };
        for (var i = 0; i < groups.Count; i++)
            if (i != picked) order.Add(groups[i]);
        return Flatten(order);
    }

    /// <summary>The targets meeting every constraint, cheapest first (estimated input and the output cap at each one's price).</summary>
    private static List<RouteTarget> Cheapest(List<ResolvedRef> groups, GatewayCatalog.Snapshot catalog, RoutingSnapshot routing, RequestInfo info,
        RuleAction action, DateTime now, RouteTrace? trace, out string? note)
    {
        var maxOutput = info.MaxOutputTokens ?? 1024;
        var priced = new List<(RouteTarget Target, decimal Cost)>();
        foreach (var target in Flatten(groups))
        {
            PriceRate? rate = null;
            var why = Unfit(target, info, action, routing);
            if (why is null && !catalog.Prices.TryGetRate(target.Provider.Id, target.UpstreamModel, now, out rate)) why = "no price";
            if (why is not null || rate is null)
            {
                trace?.Candidates.Add((target, $"excluded: {why ?? "no price"}"));
                continue;
            }
            var cost = (rate.InputPerMillion * info.EstimatedInputTokens + rate.OutputPerMillion * maxOutput) / 1_000_000m;
            priced.Add((target, cost));
            trace?.Candidates.Add((target, $"meets constraints, est. ${cost.ToString("0.######", CultureInfo.InvariantCulture)}"));
        }
        var sorted = priced.OrderBy(p => p.Cost).Select(p => p.Target).ToList(); // stable: ties keep the rule's order
        note = sorted.Count == 0 ? null : $"cheapest of {sorted.Count} meeting constraints";
        return sorted;
    }

    /// <summary>Why a target fails a cheapest rule's constraints (null: it meets them). Unknown latency passes: a new target has no statistics yet.</summary>
    internal static string? Unfit(RouteTarget target, RequestInfo info, RuleAction action, RoutingSnapshot routing)
    {
        var caps = target.Capabilities;
        if (!caps.Fits(info.EstimatedInputTokens)) return $"context {caps.ContextWindow} < {info.EstimatedInputTokens} tokens";
        if ((info.UsesTools || action.RequireTools) && !caps.Tools) return "no tools";
        if ((info.UsesImages || action.RequireVision) && !caps.Vision) return "no vision";
        if (action.RequireJsonMode && !caps.JsonMode) return "no json mode";
        if (action.Providers.Count > 0 && !action.Providers.Contains(target.Provider.Name, StringComparer.OrdinalIgnoreCase)) return "provider not allowed";
        if (action.Regions.Count > 0 && (caps.Region is null || !action.Regions.Contains(caps.Region, StringComparer.OrdinalIgnoreCase))) return "region not allowed";
        if (action.MaxP95LatencyMs is { } max && routing.P95Of(target.Provider.Name, target.UpstreamModel) is { } p95 && p95 > max) return $"p95 {p95:0} ms > {max} ms";
        return null;
    }

    /// <summary>Healthy self-hosted targets able to serve the call first; otherwise (or after them) the hosted ones.</summary>
    private static List<RouteTarget> LocalFirst(List<ResolvedRef> groups, GatewayCatalog.Snapshot catalog, RequestInfo info, RouteTrace? trace, out string? note)
    {
        var local = new List<RouteTarget>();
        var hosted = new List<RouteTarget>();
        string? whyNot = null;
        foreach (var target in Flatten(groups))
        {
            if (!target.Capabilities.SelfHosted)
            {
                hosted.Add(target);
                trace?.Candidates.Add((target, "hosted"));
                continue;
            }
            var caps = target.Capabilities;
            var problem = catalog.Down.Contains(target.Provider.Id) ? "down"
                : !caps.Fits(info.EstimatedInputTokens) ? "context too small"
                : info.UsesTools && !caps.Tools ? "no tools"
                : info.UsesImages && !caps.Vision ? "no vision"
                : null;
            if (problem is null) local.Add(target);
            else whyNot ??= $"{target.Provider.Name}: {problem}";
            trace?.Candidates.Add((target, problem is null ? "self-hosted, healthy, capable" : $"self-hosted, skipped: {problem}"));
        }
        if (local.Count > 0)
        {
            note = "self-hosted first";
            local.AddRange(hosted);
            return local;
        }
        note = whyNot is null ? "no self-hosted target; hosted" : $"escalated to hosted ({whyNot})";
        return hosted.Count > 0 ? hosted : Flatten(groups); // only unusable local ones: let the failover chain try them
    }

    private static List<RouteTarget> Flatten(List<ResolvedRef> groups)
    {
        var all = new List<RouteTarget>();
        foreach (var group in groups)
            foreach (var target in group.Targets)
                if (!all.Exists(t => t.Provider.Id == target.Provider.Id && t.UpstreamModel == target.UpstreamModel)) all.Add(target);
        return all;
    }
}
