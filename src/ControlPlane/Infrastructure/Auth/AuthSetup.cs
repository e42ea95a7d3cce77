using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth.Saml;
using ControlPlane.Infrastructure.Auth.Oidc;
using ControlPlane.Infrastructure.Auth.Sso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth;

public static class AuthSetup
{
    public const string SignInPath = "/sign-in";
    public const string AccessDeniedPath = "/access-denied";

    public static WebApplicationBuilder AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = "cp-session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.LoginPath = SignInPath;
                cookie.AccessDeniedPath = AccessDeniedPath;
                cookie.ReturnUrlParameter = "returnUrl";
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
                // Machines (the gateway's clients, probes, scripts) get status codes, not a sign-in page.
                cookie.Events.OnRedirectToLogin = ctx => RedirectOrStatus(ctx, StatusCodes.Status401Unauthorized);
                cookie.Events.OnRedirectToAccessDenied = ctx => RedirectOrStatus(ctx, StatusCodes.Status403Forbidden);
                // The cookie says who someone was when they signed in; the database says who they are now.
                cookie.Events.OnValidatePrincipal = async ctx =>
                {
                    if (ctx.Principal is null || await ctx.HttpContext.RequestServices.GetRequiredService<SessionCheck>().IsCurrentAsync(ctx.Principal, ctx.HttpContext.RequestAborted)) return;
                    ctx.RejectPrincipal();
                    await ctx.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                };
                // The People page shows how each person signs in (an identity provider, a one-time link, dev sign-in).
                cookie.Events.OnSignedIn = ctx => ctx.Principal is null ? Task.CompletedTask
                    : ctx.HttpContext.RequestServices.GetRequiredService<PeopleDirectory>().RecordSignInAsync(ctx.Principal, ctx.HttpContext.RequestAborted);
            })
            .AddSamlProviders(builder.Configuration)
            .AddOidcProviders(builder.Services, builder.Configuration);
        builder.Services.AddSingleton<SsoProviders>();
        builder.Services.AddSingleton<SessionCheck>();
        builder.Services.AddOptions<RoleMappingOptions>().BindConfiguration(RoleMappingOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RoleMappingOptions>, RoleMappingValidation>();
        builder.Services.AddSingleton<GroupRoleMapper>();
        builder.Services.AddSingleton<ExternalSignIn>();
        builder.Services.AddSingleton<SsoSignIn>();
        // Registered before the shell's AddInteractiveServerComponents, whose TryAdd then keeps this one for circuits.
        builder.Services.AddScoped<AuthenticationStateProvider, RevalidatingSessionState>();
        builder.Services.AddAuthorization(Policies.AddTo);
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<PeopleDirectory>();
        builder.Services.AddOptions<SignInLinkOptions>().BindConfiguration(SignInLinkOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<SignInLinks>();
        return builder;
    }

    private static Task RedirectOrStatus(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api") || ctx.Request.Path.StartsWithSegments("/v1") || ctx.Request.Path.StartsWithSegments("/hubs"))
            ctx.Response.StatusCode = status;
        else
            ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    public static WebApplication MapAuthEndpoints(this WebApplication app)
    {
        app.MapSignOutEndpoint();
        app.MapSamlEndpoints();
        app.MapSsoSignInEndpoint();
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value.DevSignInAvailable(app.Environment))
            app.MapDevSignInEndpoints();
        return app;
    }
}
