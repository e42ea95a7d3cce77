using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Authentication;

namespace ControlPlane.Features.Gateway;

public static class GatewayFeature
{
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        builder.AddGatewayCatalogue();
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, GatewayKeyHandler>(Policies.GatewayKeyScheme, null);
        builder.Services.AddSingleton<CallSettlement>();
        builder.Services.AddSingleton<StreamRelay>();
        builder.Services.AddSingleton<ChatRelay>();
        builder.Services.AddSingleton<EmbeddingsRelay>();
        return builder;
    }

    /// <summary>Every /v1 call gets a request id first, so even a refused key's answer carries one.</summary>
    public static WebApplication UseGatewayCalls(this WebApplication app)
    {
        var clock = app.Services.GetRequiredService<TimeProvider>();
        app.Use((http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/v1"))
            {
                var call = new GatewayCall(http, clock.GetUtcNow().UtcDateTime);
                http.Features.Set(call);
                http.Response.Headers[GatewayCall.RequestIdHeader] = call.RequestId;
                // Anthropic's SDKs read the id from their own header name.
                if (call.FrontDoor == Wire.WireFormat.AnthropicMessages) http.Response.Headers["request-id"] = call.RequestId;
                if (GatewayTracing.On) return TracedAsync(http, next, call);
            }
            return next(http);
        });
        return app;
    }

    /// <summary>The call under its own span, started here so that it covers the key check too (and is current in it).</summary>
    private static async Task TracedAsync(HttpContext http, RequestDelegate next, GatewayCall call)
    {
        using var span = GatewayTracing.Start(call);
        call.Span = span;
        await next(http);
    }

    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        var v1 = app.MapGroup("/v1").RequireAuthorization(Policies.GatewayCaller).DisableAntiforgery();
        v1.MapPost("/chat/completions", static (HttpContext http, ChatRelay relay) => relay.HandleAsync(http));
        v1.MapPost("/messages", static (HttpContext http, ChatRelay relay) => relay.HandleAsync(http));
        v1.MapPost("/embeddings", static (HttpContext http, EmbeddingsRelay relay) => relay.HandleAsync(http));
        v1.MapGet("/models", static (HttpContext http, GatewayCatalog catalog) => ModelList.WriteAsync(http, catalog));
        return app;
    }
}
