using ControlPlane.Infrastructure.Http;
using MudBlazor.Services;
using Radzen;

namespace ControlPlane.Components;

/// <summary>The Blazor Server shell: interactive components, Radzen, the middleware order and static assets.</summary>
public static class Shell
{
    public const string ThemeCookie = "cp-theme";

    public static WebApplicationBuilder AddShell(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddRadzenComponents();
        builder.Services.AddRadzenCookieThemeService(options =>
        {
            options.Name = ThemeCookie;
            options.Duration = TimeSpan.FromDays(365);
        });
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
