using ControlPlane.Components.Layout;
using ControlPlane.Infrastructure.Http;
using MudBlazor.Services;

namespace ControlPlane.Components;

/// <summary>The Blazor Server shell: interactive components, MudBlazor, the middleware order and static assets.</summary>
public static class Shell
{
    /// <summary>Name of the cascading value that carries the signed-in person's remembered theme to the layouts.</summary>
    public const string PrefersDarkTheme = nameof(PrefersDarkTheme);

    public static WebApplicationBuilder AddShell(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddScoped<ThemePreferences>();
        builder.Services.AddHttpContextAccessor();
        // Behind a TLS-terminating proxy the scheme comes from X-Forwarded-Proto, so the session cookie is Secure and
        // links say https. Only proxies on loopback are trusted by default; add others under ForwardedHeaders.
        builder.AddTrustedProxies();
        return builder;
    }

    public static WebApplication UseShell(this WebApplication app)
    {
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
            app.UseHsts();
        }
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapShell(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
