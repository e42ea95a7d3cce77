using System.Text;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Prompts;

/// <summary>The prompt registry (issue 16): versions, labels with approvals, the gateway step that serves prompts, export and import.</summary>
public static class PromptsFeature
{
    public const string ExportPath = "/prompts/export.json";
    /// <summary>The playground's client: the page calls this app's own gateway, as any caller would.</summary>
    public const string PlaygroundClient = "prompts.playground";

    public static WebApplicationBuilder AddPrompts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PromptCatalog>();
        builder.Services.AddSingleton<PromptStep>();
        builder.Services.AddHostedService<PromptCatalogLoader>();
        builder.Services.AddScoped<PromptService>();
        builder.Services.AddScoped<PromptQueries>();
        builder.Services.AddScoped<PromptExchange>();
        builder.Services.AddScoped<ICallNotes, CallPromptNotes>();
        builder.Services.AddHttpClient(PlaygroundClient);
        builder.Services.AddClusterEvent<PromptsChanged>("prompts.changed", maybeMissed: () => new PromptsChanged(null));
        return builder;
    }

    /// <summary>GET /prompts/export.json (every prompt the person may see) or ?id=… (one): the file the import reads.</summary>
    public static IEndpointRouteBuilder MapPromptsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(ExportPath, async (HttpContext http, PromptExchange exchange, TimeProvider clock, Guid? id, CancellationToken ct) =>
        {
            var json = await exchange.ExportAsync(Actor.From(http.User), id, ct);
            return TypedResults.File(Encoding.UTF8.GetBytes(json), "application/json; charset=utf-8", $"prompts-{clock.GetUtcNow():yyyyMMdd-HHmm}.json");
        }).RequireAuthorization(Policies.PromptsView);
        return app;
    }
}
