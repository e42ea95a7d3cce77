using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>
/// Providers over <c>/api/v1</c>, under the Providers page's policies and <see cref="ProviderService"/>'s rules. The API
/// key is write-only: answers carry only its hint; a PUT without apiKey keeps the stored one (unless the address changes).
/// </summary>
public static class ProvidersApi
{
    public static RouteGroupBuilder MapProvidersApi(this RouteGroupBuilder api)
    {
        var providers = api.MapGroup("/providers").WithTags("Providers");
        providers.MapGet("", async (HttpContext http, ProviderService service, CancellationToken ct) => ApiPaging.Of(http.Request, await service.ListAsync(ct), p => p.Id))
            .RequireAuthorization(Policies.ProvidersView).WithSummary("List the upstream providers (never their secrets, only a hint)").Produces<Page<ProviderRow>>();
        providers.MapGet("/{id:guid}", async (Guid id, HttpContext http, ProviderService service, CancellationToken ct) =>
                (await service.ListAsync(ct)).FirstOrDefault(p => p.Id == id) is { } row ? ApiETag.Ok(http, row) : NoProvider(id))
            .RequireAuthorization(Policies.ProvidersView).WithSummary("Read one provider (never its secret), with its ETag").Produces<ProviderRow>();
        providers.MapPost("", (HttpContext http, ProviderService service, CancellationToken ct) => SaveAsync(null, http, service, ct))
            .RequireAuthorization(Policies.ProvidersManage).Idempotent()
            .WithSummary("Add a provider: kind (openai, anthropic, gemini, …), baseUrl, apiKey (write-only), timeouts")
            .Accepts<ProviderForm>("application/json").Produces<ProviderRow>(StatusCodes.Status201Created);
        providers.MapPut("/{id:guid}", (Guid id, HttpContext http, ProviderService service, CancellationToken ct) => SaveAsync(id, http, service, ct))
            .RequireAuthorization(Policies.ProvidersManage)
            .WithSummary("Replace a provider's settings; without apiKey the stored key is kept (clearApiKey removes it)")
            .Accepts<ProviderForm>("application/json").Produces<ProviderRow>();
        providers.MapPost("/{id:guid}/test", async (Guid id, HttpContext http, ProviderService service, CancellationToken ct) =>
                (await service.ListAsync(ct)).Any(p => p.Id == id)
                    ? (IResult)TypedResults.Ok(await service.TestConnectionAsync(ManagementApi.ActorOf(http), id, ct)) : NoProvider(id))
            .RequireAuthorization(Policies.ProvidersManage)
            .WithSummary("Test the connection: reachable or not, how fast, the models the provider lists").Produces<ConnectionCheck>();
        return api;
    }

    private static async Task<IResult> SaveAsync(Guid? id, HttpContext http, ProviderService service, CancellationToken ct)
    {
        var (form, bad) = await ApiJson.ReadAsync<ProviderForm>(http.Request, ct);
        if (bad is not null) return bad;
        if (ProviderService.NameProblem(form!.Name) is { } name) return ApiProblem.Invalid("name", name);
        if (ProviderService.BaseUrlProblem(form.BaseUrl) is { } url) return ApiProblem.Invalid("baseUrl", url);
        if (id is { } existing)
        {
            if ((await service.ListAsync(ct)).FirstOrDefault(p => p.Id == existing) is not { } current) return NoProvider(existing);
            if (ApiETag.Check(http.Request, current) is { } stale) return stale;
        }
        var saved = await service.SaveAsync(ManagementApi.ActorOf(http), id, form, ct);
        if (!saved.Succeeded)
            return saved.Error!.StartsWith(ProviderService.ApiKeyField, StringComparison.Ordinal) ? ApiProblem.Invalid("apiKey", saved.Error)
                : saved.Error.StartsWith("Base URL", StringComparison.Ordinal) ? ApiProblem.Invalid("baseUrl", saved.Error)
                : saved.Error.StartsWith("This provider comes from configuration", StringComparison.Ordinal) ? ApiProblem.Conflict(saved.Error)
                : ManagementApi.Refusal(saved.Error);
        var row = (await service.ListAsync(ct)).First(p => p.Id == saved.Value!.Id);
        http.Response.Headers.ETag = ApiETag.Of(row);
        return id is null ? TypedResults.Created($"{ManagementApi.Prefix}/providers/{row.Id}", row) : TypedResults.Ok(row);
    }

    private static ProblemHttpResult NoProvider(Guid id) => ApiProblem.NotFound($"There is no provider {id}.");
}
