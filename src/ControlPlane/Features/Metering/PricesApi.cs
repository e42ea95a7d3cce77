using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.Metering;

/// <summary>The price book over <c>/api/v1</c>: dated prices, added and never edited (<see cref="PriceBookService"/>), under the Prices page's policies.</summary>
public static class PricesApi
{
    public static RouteGroupBuilder MapPricesApi(this RouteGroupBuilder api)
    {
        var prices = api.MapGroup("/prices").WithTags("Prices");
        prices.MapGet("", async (HttpContext http, PriceBookService book, CancellationToken ct) => ApiPaging.Of(http.Request, await book.ListAsync(ct), p => p.Id))
            .RequireAuthorization(Policies.PricesView)
            .WithSummary("List every price (USD per million tokens), the one in force per provider model marked inForce").Produces<Page<PriceRow>>();
        prices.MapPost("", AddAsync).RequireAuthorization(Policies.PricesManage).Idempotent()
            .WithSummary("Add a price for a provider's model, in force from effectiveFrom (now if absent); past calls keep theirs")
            .Accepts<PriceForm>("application/json").Produces<PriceRow>(StatusCodes.Status201Created);
        return api;
    }

    private static async Task<IResult> AddAsync(HttpContext http, PriceBookService book, CancellationToken ct)
    {
        var (form, bad) = await ApiJson.ReadAsync<PriceForm>(http.Request, ct);
        if (bad is not null) return bad;
        if (form!.ProviderId is null) return ApiProblem.Invalid("providerId", "Name the provider (providerId).");
        if (string.IsNullOrWhiteSpace(form.UpstreamModel)) return ApiProblem.Invalid("upstreamModel", "Name the provider's model (upstreamModel).");
        var added = await book.AddAsync(ManagementApi.ActorOf(http), form, ct);
        if (!added.Succeeded) return ManagementApi.Refusal(added.Error!);
        var row = (await book.ListAsync(ct)).First(p => p.Id == added.Value!.Id);
        return TypedResults.Created($"{ManagementApi.Prefix}/prices", row);
    }
}
