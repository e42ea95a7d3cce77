using System.Net;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.People;

/// <summary>One-time sign-in links: single use under concurrent posts, expiry by the app's clock, never burnt by a GET.</summary>
public abstract class SignInLinkTests(DatabaseProvider provider) : IAsyncLifetime
{
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private AppFactory _factory = default!;
    private WebApplicationFactory<Program> _app = default!;

    public async Task InitializeAsync()
    {
        _factory = new AppFactory(await TestDatabase.CreateAsync(provider), settings: new Dictionary<string, string?> { ["Auth:SignInLinks:Minutes"] = "5" });
        _app = _factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<TimeProvider>(_clock)));
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _factory.DisposeAsync();
        await _factory.Database.DisposeAsync();
    }

    private HttpClient Browser() => _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> use)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await use(scope.ServiceProvider);
    }

    private async Task<Guid> UserIdAsync(string email)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<ControlPlaneDb>>().CreateDbContextAsync();
        return await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
    }

    private async Task<IssuedSignInLink> IssueAsync(string email)
    {
        var id = await UserIdAsync(email);
        var issued = await WithScopeAsync(sp => sp.GetRequiredService<SignInLinks>().IssueAsync(Actor.CommandLine, id));
        Assert.True(issued.Succeeded, issued.Error);
        return issued.Value!;
    }

    [DatabaseFact]
    public async Task Two_posts_of_one_link_at_the_same_moment_sign_in_exactly_once()
    {
        var link = await IssueAsync(DemoOrg.Sam);
        using var first = Browser();
        using var second = Browser();
        var firstPage = await LinkSignIn.OpenAsync(first, link.Path);
        var secondPage = await LinkSignIn.OpenAsync(second, link.Path);

        var answers = await Task.WhenAll(LinkSignIn.PressAsync(first, link.Path, firstPage), LinkSignIn.PressAsync(second, link.Path, secondPage));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Redirect);
        var refused = Assert.Single(answers, a => a.StatusCode != HttpStatusCode.Redirect);
        Assert.Contains("already used", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [DatabaseFact]
    public async Task Many_concurrent_redemptions_of_one_link_let_exactly_one_through()
    {
        var link = await IssueAsync(DemoOrg.Mia);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            WithScopeAsync(sp => sp.GetRequiredService<SignInLinks>().RedeemAsync(link.Token)))));
        Assert.Single(outcomes, o => o.Succeeded);
        Assert.All(outcomes.Where(o => !o.Succeeded), o => Assert.Contains("already used", o.Error, StringComparison.Ordinal));
    }

    [DatabaseFact]
    public async Task A_link_expires_after_the_configured_minutes_by_the_app_s_clock_and_says_so()
    {
        var link = await IssueAsync(DemoOrg.Sam);
        Assert.Equal(_clock.Now.UtcDateTime.AddMinutes(5), link.ExpiresAt);
        using var browser = Browser();
        var page = await LinkSignIn.OpenAsync(browser, link.Path);

        _clock.Now = _clock.Now.AddMinutes(5);
        var late = await LinkSignIn.PressAsync(browser, link.Path, page);

        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Contains("expired at 2026-03-02 09:05 UTC", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("expired", await (await browser.GetAsync(link.Path)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode); // still signed out
    }

    [DatabaseFact]
    public async Task Opening_a_link_never_uses_it_and_a_made_up_token_is_refused()
    {
        var link = await IssueAsync(DemoOrg.Sam);
        using var browser = Browser();
        for (var i = 0; i < 3; i++) await LinkSignIn.OpenAsync(browser, link.Path);
        var page = await LinkSignIn.OpenAsync(browser, link.Path);
        Assert.Equal(HttpStatusCode.Redirect, (await LinkSignIn.PressAsync(browser, link.Path, page)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/keys")).StatusCode);

        var unknown = await LinkSignIn.OpenAsync(Browser(), SignInLinks.PathPrefix + "made-up-token");
        Assert.Contains("not valid", unknown, StringComparison.Ordinal);
    }

    [DatabaseFact]
    public async Task A_post_without_the_antiforgery_token_uses_nothing()
    {
        var link = await IssueAsync(DemoOrg.Sam);
        using var browser = Browser();
        var page = await LinkSignIn.OpenAsync(browser, link.Path);
        var forged = await browser.PostAsync(link.Path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = DevSignIn.HiddenValue(page, "_handler"),
        }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await LinkSignIn.PressAsync(browser, link.Path, page)).StatusCode);
    }

    [DatabaseFact]
    public async Task A_switched_off_person_s_link_does_not_sign_in_and_only_Owners_issue_links()
    {
        var link = await IssueAsync(DemoOrg.Sam);
        var sam = await UserIdAsync(DemoOrg.Sam);
        var off = await WithScopeAsync(sp => sp.GetRequiredService<PeopleDirectory>().SetActiveAsync(Actor.CommandLine, sam, false));
        Assert.True(off.Succeeded, off.Error);

        var used = await WithScopeAsync(sp => sp.GetRequiredService<SignInLinks>().RedeemAsync(link.Token));
        Assert.False(used.Succeeded);
        Assert.Contains("switched off", used.Error, StringComparison.Ordinal);

        var admin = new Actor(await UserIdAsync(DemoOrg.Adam), DemoOrg.Adam, Roles.Admin);
        var byAdmin = await WithScopeAsync(sp => sp.GetRequiredService<SignInLinks>().IssueAsync(admin, sam));
        Assert.False(byAdmin.Succeeded);
    }
}

public sealed class SignInLinkTests_on_Sqlite() : SignInLinkTests(DatabaseProvider.Sqlite);

public sealed class SignInLinkTests_on_Postgres() : SignInLinkTests(DatabaseProvider.Postgres);
