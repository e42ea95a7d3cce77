using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Infrastructure.Telemetry;

/// <summary>
/// In front of the Prometheus exporter: with <c>Metrics:Port</c>, /metrics answers only on that port (404 elsewhere,
/// as if it did not exist); with <c>Metrics:Token</c>, only to <c>Authorization: Bearer &lt;token&gt;</c> (401 otherwise,
/// compared in constant time). A signed-in person's cookie is not a scraper's token: it opens nothing here.
/// </summary>
internal sealed class MetricsGate(MetricsOptions options)
{
    private readonly byte[]? _tokenHash = string.IsNullOrEmpty(options.Token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.Token));

    public Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (options.Port is { } port && http.Connection.LocalPort != port)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        if (_tokenHash is not null && !Presents(http.Request, _tokenHash))
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"metrics\"";
            return http.Response.WriteAsync("A scrape of /metrics needs 'Authorization: Bearer <Metrics:Token>'.");
        }
        return next(http);
    }

    private static bool Presents(HttpRequest request, byte[] expected)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }
}
