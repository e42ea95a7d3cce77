using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;

namespace ControlPlane.Tests.Gateway;

/// <summary>The router and provider health: a down provider is skipped while another target is up, never otherwise.</summary>
public sealed class RouterHealthTests
{
    private static ProviderEndpoint Endpoint(string name) => new(Guid.NewGuid(), name, "openai", new Uri("http://127.0.0.1:1/v1/"), null, null,
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0);

    private static readonly ProviderEndpoint First = Endpoint("first"), Second = Endpoint("second");
    private static readonly RequestInfo Request = new("m", false, 100, null, 40, false, false);
    private static readonly GatewayOptions AllowUnpriced = new() { UnpricedModels = UnpricedModelPolicy.AllowAndFlag };

    private static GatewayCatalog.Snapshot Catalog(params Guid[] down) => new(
        new Dictionary<string, CatalogEntry> { ["m"] = new("m", ModelKinds.Chat, 1000, true, false, [new RouteTarget(First, "a"), new RouteTarget(Second, "b")]) },
        PriceBook.Empty) { Down = down.ToHashSet() };

    [Fact]
    public void A_down_provider_is_skipped_while_another_target_is_up_and_the_reason_says_so()
    {
        var (plan, refusal) = Router.Plan(Catalog(First.Id), Request, ModelKinds.Chat, AllowUnpriced);

        Assert.Null(refusal);
        Assert.Equal(Second.Id, Assert.Single(plan!.Targets).Target.Provider.Id);
        Assert.Equal(["first"], plan.SkippedDown);
        Assert.Contains("skipped first: down", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void When_every_target_is_down_all_are_still_tried_in_order()
    {
        var (plan, _) = Router.Plan(Catalog(First.Id, Second.Id), Request, ModelKinds.Chat, AllowUnpriced);

        Assert.Equal([First.Id, Second.Id], plan!.Targets.Select(t => t.Target.Provider.Id));
        Assert.Empty(plan.SkippedDown);
    }

    [Fact]
    public void With_nobody_down_the_chain_is_unchanged()
    {
        var (plan, _) = Router.Plan(Catalog(), Request, ModelKinds.Chat, AllowUnpriced);

        Assert.Equal([First.Id, Second.Id], plan!.Targets.Select(t => t.Target.Provider.Id));
        Assert.DoesNotContain("skipped", plan.Reason, StringComparison.Ordinal);
    }
}
