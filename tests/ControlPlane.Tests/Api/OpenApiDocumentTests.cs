using System.Net;
using System.Text.Json;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ControlPlane.Tests.Api;

/// <summary>
/// The OpenAPI document as CI checks it: valid JSON OpenAPI 3.x, only /api/v1, and every operation with a summary, a
/// success answer, the problem answers of the conventions and a security requirement; and the reference page serves.
/// </summary>
public sealed class OpenApiDocumentTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    private static readonly string[] Always = ["400", "401", "403"];

    [Fact]
    public async Task Every_api_operation_has_a_summary_its_answers_and_its_security()
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;

        Assert.StartsWith("3.", root.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("adminToken").GetProperty("scheme").GetString());
        Assert.Equal("cookie", schemes.GetProperty("session").GetProperty("in").GetString());

        var problems = new List<string>();
        var operations = 0;
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            if (!path.Name.StartsWith("/api/v1/", StringComparison.Ordinal)) problems.Add($"{path.Name} is not under /api/v1");
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                operations++;
                var name = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                var op = operation.Value;
                if (!op.TryGetProperty("summary", out var summary) || string.IsNullOrWhiteSpace(summary.GetString())) problems.Add($"{name}: no summary");
                var responses = op.GetProperty("responses").EnumerateObject().ToDictionary(r => r.Name, r => r.Value);
                if (!responses.Keys.Any(k => k.StartsWith('2'))) problems.Add($"{name}: no 2xx answer");
                List<string> expected = [.. Always, .. path.Name.Contains('{') ? ["404"] : Array.Empty<string>(),
                    .. operation.Name is "put" or "patch" or "delete" ? ["412", "428"] : Array.Empty<string>()];
                foreach (var status in expected)
                    if (!responses.TryGetValue(status, out var answer) || !answer.GetProperty("content").TryGetProperty("application/problem+json", out _))
                        problems.Add($"{name}: no {status} problem answer");
                if (!op.TryGetProperty("security", out var security) || security.GetArrayLength() == 0) problems.Add($"{name}: no security requirement");
            }
        }
        Assert.True(operations >= 30, $"only {operations} operations documented");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task The_reference_page_serves_without_a_sign_in()
    {
        // It redirects to its own address with a trailing slash (its assets are relative), never to the sign-in page.
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = true });
        var response = await client.GetAsync("/api/reference");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("/api/reference", response.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/reference/scalar.js")).StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("scalar.js", page, StringComparison.Ordinal); // served from the package, not a CDN
    }
}
