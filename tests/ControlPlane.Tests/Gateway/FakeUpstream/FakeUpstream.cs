using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>
/// A real HTTP server on 127.0.0.1 that answers on OpenAI's, Azure OpenAI's, Anthropic's and Gemini's wires, so the
/// gateway's tests go through real sockets, real SSE framing and real connection failures. Scripted per call:
/// <see cref="Enqueue"/> replies are used in order, then <see cref="Always"/>, then an echo.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    /// <summary>The only key the fake accepts, in whichever header the provider uses.</summary>
    public const string ApiKey = "sk-fake-upstream-key-0123456789";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FakeReply> _replies = new();
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly ConcurrentDictionary<FakeProvider, FakeReply> _alwaysFor = new();
    private volatile FakeReply? _always;
    private long _ids;

    private FakeUpstream(WebApplication app) => _app = app;

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<FakeRequest> Requests => [.. _requests];

    /// <summary>Model ids the list endpoints return; null: a few per provider.</summary>
    public IReadOnlyList<string>? Models { get; set; }

    public static async Task<FakeUpstream> StartAsync()
    {
        // The empty builder reads no appsettings, environment or command line and logs nothing.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeUpstream(app);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        fake.BaseUrl = address.TrimEnd('/');
        return fake;
    }

    /// <summary>Replies for the next calls, taken in order by whichever provider is called (thread-safe).</summary>
    public void Enqueue(params FakeReply[] replies)
    {
        foreach (var reply in replies)
            _replies.Enqueue(reply);
    }

    /// <summary>What every call does once the queue is empty (e.g. "always 500"), for one provider or all.</summary>
    public void Always(FakeReply reply, FakeProvider? provider = null)
    {
        if (provider is { } p)
            _alwaysFor[p] = reply;
        else
            _always = reply;
    }

    /// <summary>Forget the queue, the persistent behaviours and the recorded requests.</summary>
    public void Reset()
    {
        _replies.Clear();
        _alwaysFor.Clear();
        _always = null;
        _requests.Clear();
        Models = null;
    }

    public async ValueTask DisposeAsync()
    {
        // Streams still open (slow or abandoned ones) are aborted rather than waited for.
        using var soon = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(soon.Token);
        await _app.DisposeAsync();
    }

    internal FakeReply NextReply(FakeProvider provider) =>
        _replies.TryDequeue(out var reply) ? reply : Persistent(provider) ?? new FakeReply();

    /// <summary>The persistent behaviour alone: list endpoints honour it but do not consume the queue.</summary>
    internal FakeReply? Persistent(FakeProvider provider) => _alwaysFor.TryGetValue(provider, out var only) ? only : _always;

    internal string NextId() => Interlocked.Increment(ref _ids).ToString("D6");

    private async Task HandleAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context.Request);
        var route = FakeRoute.Match(context.Request);
        _requests.Enqueue(new FakeRequest(
            route?.Provider,
            context.Request.Method,
            context.Request.Path.Value + context.Request.QueryString.Value,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body));
        try
        {
            await FakeRouter.AnswerAsync(this, context, route, body);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away (or a test cut the connection): nothing left to answer.
        }
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    }
}
