using System.Net;
using System.Reflection;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Http;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Tests.Http;

/// <summary>Every dashboard response forbids framing and sniffing and keeps URLs to itself, signed in or not.</summary>
public sealed class SecurityHeadersTests : IAsyncLifetime
{
    private AppFactory _app = default!;

    public async Task InitializeAsync() => _app = new AppFactory(await TestDatabase.CreateAsync(DatabaseProvider.Sqlite));

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _app.Database.DisposeAsync();
    }

    /// <summary>Every page the app routes to (found from the components themselves, so a new page is covered too).</summary>
    public static IReadOnlyList<string> PageRoutes { get; } = [.. typeof(Program).Assembly.GetTypes()
        .SelectMany(t => t.GetCustomAttributes<RouteAttribute>())
        .Select(r => r.Template)
        .Where(t => !t.Contains('{', StringComparison.Ordinal))
        .Distinct(StringComparer.OrdinalIgnoreCase)
        .Order(StringComparer.Ordinal)];

    internal static void AssertHeaders(HttpResponseMessage response, string what)
    {
        string? One(string name) =>
            response.Headers.TryGetValues(name, out var v) ? string.Join(",", v)
            : response.Content.Headers.TryGetValues(name, out var c) ? string.Join(",", c) : null;
        Assert.True(One("Content-Security-Policy") == SecurityHeaders.ContentSecurityPolicy, $"{what}: CSP is '{One("Content-Security-Policy")}'");
        Assert.True(One("X-Frame-Options") == "DENY", $"{what}: X-Frame-Options is '{One("X-Frame-Options")}'");
        Assert.True(One("X-Content-Type-Options") == "nosniff", $"{what}: X-Content-Type-Options is '{One("X-Content-Type-Options")}'");
        Assert.True(One("Referrer-Policy") == SecurityHeaders.ReferrerPolicy, $"{what}: Referrer-Policy is '{One("Referrer-Policy")}'");
    }

    [Fact]
    public async Task Every_page_route_and_the_sign_in_page_carry_the_headers_signed_in_and_not()
    {
        Assert.Contains("/sign-in", PageRoutes);
        Assert.Contains("/calls", PageRoutes);
        using var anonymous = _app.CreateBrowserClient();
        using var owner = _app.CreateBrowserClient();
        await owner.SignInAsync(DemoOrg.Olivia);
        using var member = _app.CreateBrowserClient();
        await member.SignInAsync(DemoOrg.Mia);

        foreach (var route in PageRoutes)
        {
            AssertHeaders(await anonymous.GetAsync(route), $"{route} (signed out)");
            AssertHeaders(await owner.GetAsync(route), $"{route} (owner)");
            AssertHeaders(await member.GetAsync(route), $"{route} (member)");
        }
        AssertHeaders(await anonymous.GetAsync("/no-such-page"), "an unknown path");
    }

    [Fact]
    public async Task Gateway_answers_are_for_api_clients_and_skip_them()
    {
        using var client = _app.CreateClient();
        var response = await client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Frame-Options"));
    }
}

/// <summary>
/// Behind a TLS-terminating proxy the app must know the call came over https (HSTS, Secure cookies): it believes
/// X-Forwarded-Proto only from loopback and the proxies and networks it is told to trust.
/// </summary>
public sealed class TrustedProxyTests
{
    private static async Task<HttpContext> ThroughProxyAsync(AppFactory app, string proxy)
    {
        return await app.Server.SendAsync(http =>
        {
            http.Request.Method = "GET";
            http.Request.Path = "/sign-in";
            http.Request.Host = new HostString("controlplane.example.com");
            http.Request.Headers["X-Forwarded-Proto"] = "https";
            http.Request.Headers["X-Forwarded-For"] = "203.0.113.7";
            http.Connection.RemoteIpAddress = IPAddress.Parse(proxy);
        });
    }

    private static bool Hsts(HttpContext http) => http.Response.Headers.ContainsKey("Strict-Transport-Security");

    [Fact]
    public async Task A_configured_proxy_and_network_are_trusted_for_https_and_others_are_not()
    {
        await using var database = TestDatabase.CreateSqlite();
        await using var app = new AppFactory(database, environment: "Production", settings: new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownProxies:0"] = "10.20.30.40",
            ["ForwardedHeaders:KnownNetworks:0"] = "192.168.50.0/24",
        });

        var proxy = await ThroughProxyAsync(app, "10.20.30.40");
        Assert.Equal("https", proxy.Request.Scheme);
        Assert.True(Hsts(proxy), "HSTS behind the configured proxy");
        Assert.Equal("203.0.113.7", proxy.Connection.RemoteIpAddress!.ToString());
        Assert.True(Hsts(await ThroughProxyAsync(app, "192.168.50.9")), "HSTS behind a proxy of the configured network");
        Assert.True(Hsts(await ThroughProxyAsync(app, "127.0.0.1")), "loopback stays trusted");

        var stranger = await ThroughProxyAsync(app, "10.20.30.41");
        Assert.Equal("http", stranger.Request.Scheme);
        Assert.False(Hsts(stranger));
    }

    [Fact]
    public async Task Without_configuration_only_loopback_is_trusted()
    {
        await using var database = TestDatabase.CreateSqlite();
        await using var app = new AppFactory(database, environment: "Production");

        Assert.True(Hsts(await ThroughProxyAsync(app, "127.0.0.1")));
        var proxy = await ThroughProxyAsync(app, "10.20.30.40");
        Assert.Equal("http", proxy.Request.Scheme);
        Assert.False(Hsts(proxy));
    }

    [Fact]
    public async Task A_proxy_that_is_not_an_address_stops_the_app_at_start_naming_the_setting()
    {
        await using var database = TestDatabase.CreateSqlite();
        await using var app = new AppFactory(database, settings: new Dictionary<string, string?> { ["ForwardedHeaders:KnownNetworks:0"] = "10.0.0.0/99" });
        var failure = Assert.ThrowsAny<Exception>(() => app.Server);
        Assert.Contains("ForwardedHeaders:KnownNetworks", failure.ToString(), StringComparison.Ordinal);
    }
}
