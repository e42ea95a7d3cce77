namespace ControlPlane.Infrastructure.Http;

/// <summary>
/// Headers every dashboard response carries (pages, sign-in, errors, static files, the Hangfire dashboard): no framing
/// by other sites (clickjacking), no content sniffing, no full URLs leaked to other origins. Set when the response
/// starts, so error pages that clear the headers get them too. The gateway's /v1 answers are for API clients, not
/// browsers, and skip this to keep the hot path lean.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy = "frame-ancestors 'none'";
    public const string FrameOptions = "DENY";
    public const string ContentTypeOptions = "nosniff";
    public const string ReferrerPolicy = "strict-origin-when-cross-origin";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            if (!http.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
                http.Response.OnStarting(Add, http);
            return next(http);
        });

    private static Task Add(object state)
    {
        var headers = ((HttpContext)state).Response.Headers;
        // Only frame-ancestors: a script-src here would have to be kept in step with Blazor's and MudBlazor's scripts.
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = FrameOptions;
        headers.XContentTypeOptions = ContentTypeOptions;
        headers["Referrer-Policy"] = ReferrerPolicy;
        return Task.CompletedTask;
    }
}
