using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Routing;

/// <summary>What the explain box shows beside the decision: each rule's verdict and each candidate's note.</summary>
public sealed class RouteTrace
{
    public List<(int Number, string Name, string Verdict)> Rules { get; } = [];
    public CompiledRule? Matched { get; set; }
    public ResidencyLock? Lock { get; set; }
    public List<(RouteTarget Target, string Note)> Candidates { get; } = [];
}

/// <summary>
/// The routing decision, one code path for the gateway and the explain box: the first enabled rule that matches (and
/// can serve the call's kind) chooses the targets by its action; no rule, the alias's own chain. A region lock filters
/// every candidate list and no rule can get around it. The targets are then priced and held by <see cref="Router.PlanTargets"/>.
/// </summary>
public static class RouteDecider
{
    public static (RoutePlan? Plan, RouteRefusal? Refusal) Decide(GatewayCatalog.Snapshot catalog, RoutingSnapshot routing, RouteInput input, string kind,
        GatewayOptions options, DateTime now, InputBound.TextTokenCounter? counter, Random random, RouteTrace? trace = null)
    {
        var info = input.Info;
        if (routing.Inert) return Router.Plan(catalog, info, kind, options, now, counter); // today's behaviour, nothing more computed
        var residency = routing.LockFor(input.TeamId);
        if (trace is not null) trace.Lock = residency;
        var minute = MinuteOfDay(now, routing.Zone);
        foreach (var rule in routing.Rules)
        {
            if (rule.Mismatch(input, minute) is { } mismatch)
            {
                trace?.Rules.Add((rule.Number, rule.Name, $"no match ({mismatch})"));
                continue;
            }
            if (rule.Action.Kind == RuleActionKinds.Block)
            {
                trace?.Rules.Add((rule.Number, rule.Name, "matched: block"));
                if (trace is not null) trace.Matched = rule;
                return Refuse(403, "permission_error", $"Routing rule {rule.Number} '{rule.Name}' blocks this call: {rule.Action.Message}", "route_blocked", "route_blocked");
            }
            var chosen = RuleActions.Choose(rule, catalog, routing, input, kind, residency, now, random, trace, out var note, out var refusal);
            if (refusal is not null)
            {
                trace?.Rules.Add((rule.Number, rule.Name, "matched: refused"));
                if (trace is not null) trace.Matched = rule;
                return (null, refusal);
            }
            if (chosen is null)
            {
                trace?.Rules.Add((rule.Number, rule.Name, $"matched, but names no {kind} target"));
                continue;
            }
            trace?.Rules.Add((rule.Number, rule.Name, "matched"));
            if (trace is not null) trace.Matched = rule;
            var (plan, planRefusal) = Router.PlanTargets(catalog, info.Model, chosen, info, options, now, counter);
            return plan is null ? (null, planRefusal) : (plan with { Decision = rule.Decision, PickNote = note, Residency = Describe(residency) }, null);
        }

        // No rule: the alias's own chain, held to the region lock.
        var (aliasPlan, aliasRefusal) = Router.Plan(catalog, info, kind, options, now, counter);
        if (aliasPlan is null || residency is null) return (aliasPlan, aliasRefusal);
        var targets = catalog.Models[info.Model].Targets;
        var inRegion = targets.Where(t => t.Capabilities.InRegion(residency.Region)).ToList();
        if (inRegion.Count == 0) return (null, ResidencyRefusal(residency, info.Model, targets));
        if (inRegion.Count == targets.Count) return (aliasPlan with { Residency = Describe(residency) }, null);
        var (held, heldRefusal) = Router.PlanTargets(catalog, aliasPlan.Alias, inRegion, info, options, now, counter);
        return held is null ? (null, heldRefusal) : (held with { Residency = Describe(residency) }, null);
    }

    internal static string? Describe(ResidencyLock? residency) => residency is null ? null : $"region lock {residency.Region} ({residency.Owner})";

    internal static RouteRefusal ResidencyRefusal(ResidencyLock residency, string model, IEnumerable<RouteTarget> outside)
    {
        var where = string.Join(", ", outside.Select(t => $"{t.Provider.Name}/{t.UpstreamModel}: {t.Capabilities.Region ?? "no region"}").Distinct().Take(5));
        return new RouteRefusal(new WireError(403, "permission_error",
            $"Data residency: {residency.Owner} is locked to region '{residency.Region}', and no target for '{model}' is in '{residency.Region}' ({where}). "
            + "An admin can add a target in that region (Models page) or change the lock (Routing page).", Param: "model", Code: "region_locked"), "residency_refused");
    }

    internal static (RoutePlan?, RouteRefusal?) Refuse(int status, string type, string message, string errorClass, string code) =>
        (null, new RouteRefusal(new WireError(status, type, message, Param: "model", Code: code), errorClass));

    private static int MinuteOfDay(DateTime utc, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone);
        return local.Hour * 60 + local.Minute;
    }
}
