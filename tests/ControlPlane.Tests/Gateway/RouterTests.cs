using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;

namespace ControlPlane.Tests.Gateway;

/// <summary>Routing decisions that need no server: prices, the unpriced policy, the worst case.</summary>
public sealed class RouterTests
{
    private static readonly ProviderEndpoint Provider = new(Guid.NewGuid(), "p", "openai", new Uri("http://127.0.0.1:1/v1/"), null, null,
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0);

    private static GatewayCatalog.Snapshot Catalog(params Price[] prices) => new(
        new Dictionary<string, CatalogEntry> { ["m"] = new("m", ModelKinds.Chat, 1000, true, false, [new RouteTarget(Provider, "up")]) },
        new PriceBook(prices));

    private static readonly RequestInfo Request = new("m", false, 100, null, 40, false, false);

    [Fact]
    public void An_unpriced_model_is_refused_by_default()
    {
        var (plan, refusal) = Router.Plan(Catalog(), Request, ModelKinds.Chat, new GatewayOptions());

        Assert.Null(plan);
        Assert.Equal((403, "model_not_priced"), (refusal!.Error.Status, refusal.Error.Code));
    }

    [Fact]
    public void An_unpriced_model_is_allowed_and_flagged_when_the_admin_chose_so()
    {
        var (plan, refusal) = Router.Plan(Catalog(), Request, ModelKinds.Chat, new GatewayOptions { UnpricedModels = UnpricedModelPolicy.AllowAndFlag });

        Assert.Null(refusal);
        Assert.Null(Assert.Single(plan!.Targets).Rate);
        var metered = Metered.Reported(new TokenUsage(10, 0, 10), null);
        Assert.True(metered.Unpriced);
    }

    [Fact]
    public void A_price_applies_from_its_date_and_the_worst_case_uses_it()
    {
        var now = DateTime.UtcNow;
        var old = new Price { Id = Guid.NewGuid(), ProviderId = Provider.Id, UpstreamModel = "up", EffectiveFrom = now.AddDays(-10), InputPerMillion = 1m, CachedInputPerMillion = 0.5m, OutputPerMillion = 2m, CreatedBy = "t" };
        var current = new Price { Id = Guid.NewGuid(), ProviderId = Provider.Id, UpstreamModel = "up", EffectiveFrom = now.AddDays(-1), InputPerMillion = 3m, CachedInputPerMillion = 1m, OutputPerMillion = 6m, CreatedBy = "t" };
        var future = new Price { Id = Guid.NewGuid(), ProviderId = Provider.Id, UpstreamModel = "up", EffectiveFrom = now.AddDays(5), InputPerMillion = 9m, CachedInputPerMillion = 9m, OutputPerMillion = 9m, CreatedBy = "t" };

        var (plan, _) = Router.Plan(Catalog(old, current, future), Request, ModelKinds.Chat, new GatewayOptions(), now);
        var (then, _) = Router.Plan(Catalog(old, current, future), Request, ModelKinds.Chat, new GatewayOptions(), now.AddDays(-5));

        Assert.Equal(current.Id, plan!.Targets[0].Rate!.PriceId);
        Assert.Equal(old.Id, then!.Targets[0].Rate!.PriceId);
        // Every input token at the dearest input rate an OpenAI-style provider can bill (it reports no cache writes).
        Assert.Equal((40 * 3m + 100 * 6m) / 1_000_000m, plan.WorstCaseCost);
        Assert.Equal((1000 - 400) * 3m / 1_000_000m + 400 * 1m / 1_000_000m + 50 * 6m / 1_000_000m, plan.Targets[0].Rate!.CostOf(new TokenUsage(1000, 400, 50)));
    }

    [Fact]
    public void The_worst_case_multiplies_the_output_by_n_and_prices_the_input_bound_not_the_estimate()
    {
        var price = new Price { Id = Guid.NewGuid(), ProviderId = Provider.Id, UpstreamModel = "up", EffectiveFrom = DateTime.UnixEpoch, InputPerMillion = 3m, CachedInputPerMillion = 1m, OutputPerMillion = 6m, CreatedBy = "t" };
        var measured = Request with { Input = new InputSize(TextBytes: 1000, Messages: 2, Images: 0, FileBytes: 0, ReferencedFiles: 0, HasTools: false), Choices = 4 };
        var options = new GatewayOptions();

        var (plan, _) = Router.Plan(Catalog(price), measured, ModelKinds.Chat, options, DateTime.UnixEpoch.AddDays(1));

        // "up" is no OpenAI model: a token per byte of text, plus framing per message and per request.
        var bound = 1000 + 2 * options.InputBounds.FramingTokensPerMessage + options.InputBounds.FramingTokensPerRequest;
        Assert.Equal(bound, plan!.InputTokensBound);
        Assert.Equal((bound * 3m + 4 * 100 * 6m) / 1_000_000m, plan.WorstCaseCost);
        Assert.Equal((100L, 4), (plan.MaxOutputTokens, plan.Choices));
    }
}
