using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Notifications;

/// <summary>A webhook receiver on Kestrel at 127.0.0.1 (as Slack, Teams or a customer's endpoint): records each POST, answers with the queued status codes (then 200), redirects to <see cref="RedirectTo"/>.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, string Body);

    private readonly WebApplication _app;
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();

    /// <summary>Status codes for the next requests, in order; 200 when empty.</summary>
    public ConcurrentQueue<HttpStatusCode> Answers { get; } = new();

    /// <summary>The <c>Location</c> sent with a queued redirect status (a sender must not follow it).</summary>
    public string? RedirectTo { get; set; }

    public Uri BaseAddress { get; }

    private WebhookReceiver(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            receiver!._received.Writer.TryWrite(new Received(context.Request.Path, headers, body));
            context.Response.StatusCode = receiver.Answers.TryDequeue(out var status) ? (int)status : 200;
            if (context.Response.StatusCode is >= 300 and < 400 && receiver.RedirectTo is { } location) context.Response.Headers.Location = location;
            await context.Response.WriteAsync(context.Response.StatusCode == 200 ? "ok" : "upstream trouble");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new WebhookReceiver(app, new Uri(address));
        return receiver;
    }

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    public async Task<Received> NextAsync(CancellationToken ct = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        return await _received.Reader.ReadAsync(limit.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
