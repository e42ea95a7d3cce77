using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>
/// <c>GET /saml/{name}/metadata</c> (our SP metadata, for the IdP's administrator) and <c>GET /saml/{name}/sign-in</c>
/// (starts an SP-initiated sign-in). The ACS (<c>POST /saml/{name}/acs</c>) is the handler's own callback path.
/// </summary>
public static class SamlEndpoints
{
    public static IEndpointRouteBuilder MapSamlEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/saml/{name}/metadata", Metadata).AllowAnonymous();
        app.MapGet("/saml/{name}/sign-in", SignIn).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> Metadata(string name, HttpContext http, IAuthenticationSchemeProvider schemes, IOptionsMonitor<SamlOptions> monitor)
    {
        if (!await IsSamlScheme(name, schemes)) return TypedResults.NotFound();
        var options = monitor.Get(SamlOptions.SchemeFor(name));
        var acs = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{options.CallbackPath}";
        return TypedResults.Text(SamlSpMetadata.Build(options.SpEntityId, acs), "application/samlmetadata+xml");
    }

    private static async Task<IResult> SignIn(string name, string? returnUrl, IAuthenticationSchemeProvider schemes)
    {
        if (!await IsSamlScheme(name, schemes)) return TypedResults.NotFound();
        var properties = new AuthenticationProperties { RedirectUri = SignInEndpoints.IsLocal(returnUrl) ? returnUrl : "/" };
        return TypedResults.Challenge(properties, [SamlOptions.SchemeFor(name)]);
    }

    private static async Task<bool> IsSamlScheme(string name, IAuthenticationSchemeProvider schemes) =>
        await schemes.GetSchemeAsync(SamlOptions.SchemeFor(name)) is { HandlerType: var type } && type == typeof(SamlHandler);
}
