using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ControlPlane.IdentityProviders;
using ControlPlane.Infrastructure.Auth.Oidc;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Tests.Auth.Oidc;

/// <summary>
/// The real app on Kestrel at 127.0.0.1 with one OIDC provider, "test", which is a real node oidc-provider. The
/// handler's back channel (discovery, keys, token endpoint) goes through <see cref="TokenResponses"/>, so attack
/// tests can change what the token endpoint answered; every log line is kept in <see cref="Logs"/>.
/// </summary>
public sealed class OidcTestApp : IAsyncDisposable
{
    public const string Name = "test";

    private OidcTestApp(OidcIdentityProvider provider, AppFactory app, Uri baseUrl, TokenResponseRewriter tokens, LogCapture logs)
    {
        Provider = provider;
        App = app;
        BaseUrl = baseUrl;
        TokenResponses = tokens;
        Logs = logs;
    }

    public OidcIdentityProvider Provider { get; }
    public AppFactory App { get; }
    public Uri BaseUrl { get; }
    public TokenResponseRewriter TokenResponses { get; }
    public LogCapture Logs { get; }

    public static async Task<OidcTestApp> StartAsync(TestDatabase database, Dictionary<string, string?>? extra = null)
    {
        var port = FreePort();
        var baseUrl = new Uri($"http://127.0.0.1:{port}");
        var provider = await OidcIdentityProvider.StartAsync(baseUrl, Name);
        var settings = OidcIdentityProvider.RoleMappings();
        foreach (var (key, value) in provider.AppSettings(Name, "Test Identity Provider")) settings[key] = value;
        settings["Auth:RevalidateSeconds"] = "0";
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        var tokens = new TokenResponseRewriter();
        var logs = new LogCapture();
        var app = new AppFactory(database, settings: settings)
        {
            TestServices = services =>
            {
                services.Configure<OpenIdConnectOptions>(OidcSetup.SchemeFor(Name), o => o.BackchannelHttpHandler = tokens);
                services.AddSingleton<ILoggerProvider>(logs);
            },
        };
        app.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        app.StartServer();
        return new OidcTestApp(provider, app, baseUrl, tokens, logs);
    }

    /// <summary>A browser of its own: its cookies, no automatic redirects (<see cref="OidcBrowser"/> follows them).</summary>
    public OidcBrowser Browser() => new(BaseUrl);

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Provider.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The handler's back channel to the provider, with hooks that may rewrite the token endpoint's and the key set's answers.</summary>
public sealed class TokenResponseRewriter() : DelegatingHandler(new SocketsHttpHandler())
{
    /// <summary>Given the provider's token response body, returns the body the app sees.</summary>
    public Func<string, string>? Rewrite { get; set; }

    /// <summary>The key set (JWKS) the app sees instead of the provider's, as after a key rotation there.</summary>
    public string? Keys { get; set; }

    /// <summary>How many times the app fetched the provider's key set.</summary>
    public int KeyFetches => _keyFetches;

    private int _keyFetches;

    /// <summary>Every token response body the provider sent, in order.</summary>
    public ConcurrentQueue<string> Seen { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method == HttpMethod.Get && request.RequestUri?.AbsolutePath.EndsWith("/jwks", StringComparison.Ordinal) == true)
        {
            Interlocked.Increment(ref _keyFetches);
            if (Keys is not { } keys) return response;
            response.Dispose();
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(keys, System.Text.Encoding.UTF8, "application/json") };
        }
        if (request.Method != HttpMethod.Post || request.RequestUri?.AbsolutePath.EndsWith("/token", StringComparison.Ordinal) != true) return response;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Seen.Enqueue(body);
        if (Rewrite is null) return response;
        var rewritten = new HttpResponseMessage(response.StatusCode) { Content = new StringContent(Rewrite(body), System.Text.Encoding.UTF8, "application/json") };
        response.Dispose();
        return rewritten;
    }
}

/// <summary>Keeps every log line the app writes, so tests can check that a refusal says why.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Writer(categoryName, _lines);

    public void Dispose() { }

    private sealed class Writer(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }
}
