using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.AdminTokens;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Api;

/// <summary>Admin tokens made as the demo people, clients that send them, and checks of the API's answers.</summary>
public static class ApiKit
{
    /// <summary>A new admin token made by <paramref name="creator"/> with <paramref name="role"/> (limited to <paramref name="teams"/> if any); its plaintext.</summary>
    public static async Task<string> TokenAsync(this AppFactory app, string creator, string role, params Guid[] teams)
    {
        var actor = await app.ActorAsync(creator);
        return await app.WithScopeAsync(async sp =>
        {
            var made = await sp.GetRequiredService<AdminTokenService>().CreateAsync(actor, new AdminTokenForm { Name = DemoOrg.Unique("test"), Role = role, TeamIds = [.. teams] });
            Assert.True(made.Succeeded, made.Error);
            return made.Value!.Plaintext;
        });
    }

    /// <summary>A client that sends the admin token (no cookies: a script, not a browser).</summary>
    public static HttpClient ApiClient(this AppFactory app, string token)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> BodyAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, not {(int)status}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>An RFC 9457 problem with this status.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var problem = await BodyAsync(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string url, string? json = null, string? ifMatch = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = json is null ? null : Json(json) };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request);
    }

    public static async Task<List<JsonElement>> AllPagesAsync(this HttpClient client, string url)
    {
        var items = new List<JsonElement>();
        for (string? next = url; next is not null;)
        {
            var page = await client.GetFromJsonAsync<JsonElement>(next);
            items.AddRange(page.GetProperty("items").EnumerateArray());
            next = page.GetProperty("next").GetString();
        }
        return items;
    }
}
