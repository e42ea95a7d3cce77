using System.Net;
using ControlPlane.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Auth;

public sealed class DevSignInTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Dev_sign_in_starts_a_session_and_sign_out_ends_it()
    {
        using var client = fixture.App.CreateBrowserClient();
        await client.SignInAsync("adam.admin@acme.test");

        var overview = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
        Assert.Contains("Adam Admin", await overview.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var page = await client.GetStringAsync("/");
        var signOut = await client.PostAsync("/sign-out", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = DevSignIn.HiddenValue(page, "__RequestVerificationToken"),
        }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/sign-in", signOut.Headers.Location!.OriginalString);

        var after = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/sign-in", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_in_without_an_antiforgery_token_is_refused()
    {
        using var client = fixture.App.CreateBrowserClient();
        var page = await client.GetStringAsync("/sign-in");
        var response = await client.PostAsync("/dev/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userId"] = DevSignIn.HiddenValue(page, "userId"),
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/keys")).StatusCode);
    }

    [Fact]
    public async Task Sign_out_without_an_antiforgery_token_is_refused()
    {
        using var client = fixture.App.CreateBrowserClient();
        await client.SignInAsync("olivia.owner@acme.test");

        var response = await client.PostAsync("/sign-out", new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/keys")).StatusCode);
    }

    [Fact]
    public async Task Sign_in_never_redirects_to_another_site()
    {
        using (var client = fixture.App.CreateBrowserClient())
            Assert.Contains("value=\"/keys\"", await client.GetStringAsync("/sign-in?returnUrl=%2Fkeys"), StringComparison.Ordinal);

        foreach (var hostile in new[] { "https://evil.example/", "//evil.example/", "/\\evil.example" })
        {
            using var client = fixture.App.CreateBrowserClient();
            var page = await client.GetStringAsync("/sign-in");
            var response = await client.PostAsync("/dev/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = DevSignIn.HiddenValue(page, "__RequestVerificationToken"),
                ["userId"] = DevSignIn.HiddenValue(page, "userId"),
                ["returnUrl"] = hostile,
            }));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/", response.Headers.Location!.OriginalString);
        }
    }

    [Fact]
    public async Task An_unknown_person_cannot_sign_in()
    {
        using var client = fixture.App.CreateBrowserClient();
        var page = await client.GetStringAsync("/sign-in");
        var response = await client.PostAsync("/dev/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = DevSignIn.HiddenValue(page, "__RequestVerificationToken"),
            ["userId"] = Guid.NewGuid().ToString(),
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/keys")).StatusCode);
    }
}

/// <summary>In Production, dev sign-in does not exist: no endpoint, no demo people on the sign-in page.</summary>
public sealed class DevSignInInProductionTests : IAsyncLifetime
{
    private AppFactory _app = default!;

    public async Task InitializeAsync() => _app = new AppFactory(await TestDatabase.CreateAsync(ControlPlane.Infrastructure.Data.DatabaseProvider.Sqlite), environment: "Production");

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _app.Database.DisposeAsync();
    }

    [Fact]
    public async Task Dev_sign_in_cannot_be_reached_in_Production()
    {
        using var client = _app.CreateBrowserClient();

        var page = await client.GetStringAsync("/sign-in");
        Assert.DoesNotContain("dev-user", page, StringComparison.Ordinal);
        Assert.DoesNotContain("acme.test", page, StringComparison.Ordinal);
        Assert.Contains("No identity provider is configured", page, StringComparison.Ordinal);

        var userId = await _app.WithScopeAsync(async sp =>
            (await sp.GetRequiredService<ControlPlane.Features.People.PeopleDirectory>().ListAsync())[0].Id);
        var response = await client.PostAsync("/dev/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["userId"] = userId.ToString() }));

        Assert.False(response.IsSuccessStatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("cp-session", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
        Assert.DoesNotContain(_app.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints,
            e => e is Microsoft.AspNetCore.Routing.RouteEndpoint r && r.RoutePattern.RawText == "/dev/sign-in");
    }
}
