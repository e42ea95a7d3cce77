using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Reconciliation;

/// <summary>
/// OpenAI's organisation admin API as far as reconciliation reads it, on Kestrel at 127.0.0.1: the usage and costs
/// endpoints serve the fixture JSON, the costs in two pages (has_more / next_page); so do Anthropic's usage and cost reports. It records each request's path,
/// query and Authorization header, and refuses any other key with 401.
/// </summary>
public sealed class FakeAdminApi : IAsyncDisposable
{
    public const string AdminKey = "sk-admin-test-0123456789abcd";
    private readonly WebApplication _app;

    public ConcurrentQueue<(string PathAndQuery, string? Authorization)> Requests { get; } = new();
    public Uri BaseUrl { get; }

    private FakeAdminApi(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<FakeAdminApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeAdminApi? self = null;
        app.Use(async (context, next) =>
        {
            // OpenAI takes the admin key as a bearer token, Anthropic in x-api-key with its API version.
            var anthropic = context.Request.Path.Value!.Contains("/v1/organizations/", StringComparison.Ordinal);
            var auth = anthropic ? context.Request.Headers["x-api-key"].ToString() : context.Request.Headers.Authorization.ToString();
            self!.Requests.Enqueue((context.Request.Path + context.Request.QueryString, auth));
            if (auth != (anthropic ? AdminKey : $"Bearer {AdminKey}") || (anthropic && context.Request.Headers["anthropic-version"] != "2023-06-01"))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await next(context);
        });
        app.MapGet("/v1/organization/usage/completions", () => Json("openai-usage.json"));
        app.MapGet("/v1/organization/costs", (HttpRequest request) =>
            Json(request.Query["page"].ToString() == "page_AAAAAGdGxdEiJdKOAAAAAGcqsYA=" ? "openai-costs.page2.json" : "openai-costs.page1.json"));
        app.MapGet("/v1/organizations/usage_report/messages", () => Json("anthropic-usage.json"));
        app.MapGet("/v1/organizations/cost_report", () => Json("anthropic-costs.json"));
        // A base URL under /moved answers with a redirect to the real endpoint, which a fetch must not follow.
        app.MapGet("/moved/{**rest}", (HttpRequest request) => Results.Redirect(request.Path.Value!["/moved".Length..] + request.QueryString, preserveMethod: true));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeAdminApi(app, new Uri(address));
        return self;
    }

    private static IResult Json(string fixture) => Results.Text(File.ReadAllText(BillReaderTests.FixturePath(fixture)), "application/json");

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
