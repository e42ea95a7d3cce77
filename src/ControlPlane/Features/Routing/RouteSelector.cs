using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Wire;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Routing;

/// <summary>
/// Routing as the gateway calls it, one call in place of <see cref="Router.Plan"/>: the catalogue and routing
/// snapshots in force, now, and the call's input. With no rule and no region lock it is exactly <see cref="Router.Plan"/>.
/// </summary>
public sealed class RouteSelector(GatewayCatalog catalog, RoutingTable table, IOptions<GatewayOptions> options, TimeProvider clock)
{
    /// <summary>Draws weighted targets; tests set a seeded one to check the split.</summary>
    public Random Random { get; set; } = Random.Shared;

    public (RoutePlan? Plan, RouteRefusal? Refusal) Plan(HttpContext http, GatewayCall call, RequestInfo info, ReadOnlySpan<byte> body, string kind, InputBound.TextTokenCounter? counter = null)
    {
        var routing = table.Current;
        var now = clock.GetUtcNow().UtcDateTime;
        if (routing.Inert) return Router.Plan(catalog.Current, info, kind, options.Value, now, counter);
        return RouteDecider.Decide(catalog.Current, routing, RouteInput.Of(http, call, info, body, routing.UsesTags), kind, options.Value, now, counter, Random);
    }

    /// <summary>The same decision for an input built elsewhere (the explain box), with what led to it in <paramref name="trace"/>.</summary>
    public (RoutePlan? Plan, RouteRefusal? Refusal) Plan(RouteInput input, string kind, RouteTrace? trace, InputBound.TextTokenCounter? counter = null) =>
        RouteDecider.Decide(catalog.Current, table.Current, input, kind, options.Value, clock.GetUtcNow().UtcDateTime, counter, Random, trace);
}
