using System.Net;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.IdentityProviders;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Auth.Oidc;

/// <summary>
/// Sign-in through a real OpenID provider (node oidc-provider), over HTTP as a browser does it: the app's redirect, the
/// provider's login form, the code coming back, the session. Groups at the provider decide the role here.
/// </summary>
public abstract class OidcSignInTests(DatabaseProvider provider) : IAsyncLifetime
{
    private TestDatabase _database = default!;
    private OidcTestApp _app = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(provider);
        _app = await OidcTestApp.StartAsync(_database);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [DatabaseFact]
    public async Task A_new_person_signs_in_through_the_provider_and_is_created_with_the_role_their_groups_give()
    {
        using var browser = _app.Browser();
        var landing = await browser.SignInAsync("ada", returnUrl: "/providers");

        Assert.Equal(HttpStatusCode.OK, landing.Status);
        Assert.Equal("/providers", landing.PathAndQuery);
        await using var db = _app.App.OpenDb();
        var ada = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "ada.admin@corp.test");
        Assert.Equal(Roles.Admin, ada.Role);
        Assert.Equal("Ada Admin", ada.DisplayName);
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "user.signed_in" && e.Target == $"user:{ada.Id}" && e.Details.Contains("sso:test")));
    }

    [DatabaseFact]
    public async Task The_role_follows_a_group_change_at_the_provider_on_the_next_sign_in()
    {
        using (var first = _app.Browser())
        {
            await first.SignInAsync("fern");
            Assert.Equal(HttpStatusCode.Redirect, (await first.Http.GetAsync(new Uri(_app.BaseUrl, "/providers"))).StatusCode); // FinanceAdmin: no providers page
        }
        await _app.Provider.SetGroupsAsync("fern", OidcIdentityProvider.Admins);

        using var second = _app.Browser();
        await second.SignInAsync("fern");

        Assert.Equal(HttpStatusCode.OK, (await second.Http.GetAsync(new Uri(_app.BaseUrl, "/providers"))).StatusCode);
        await using var db = _app.App.OpenDb();
        var fern = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "fern.finance@corp.test");
        Assert.Equal(Roles.Admin, fern.Role);
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "user.role_changed" && e.Target == $"user:{fern.Id}"));
    }

    [DatabaseFact]
    public async Task Losing_every_mapped_group_refuses_the_next_sign_in_and_ends_the_open_session()
    {
        using var open = _app.Browser();
        await open.SignInAsync("fern");
        Assert.Equal(HttpStatusCode.OK, (await open.Http.GetAsync(new Uri(_app.BaseUrl, "/wallets"))).StatusCode);
        await _app.Provider.SetGroupsAsync("fern", OidcIdentityProvider.Everyone);

        using var again = _app.Browser();
        var refused = await again.SignInAsync("fern");

        Assert.Equal("/sign-in?failed=no-group", refused.PathAndQuery);
        Assert.Contains("None of your groups gives access", refused.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await again.Http.GetAsync(new Uri(_app.BaseUrl, "/wallets"))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await open.Http.GetAsync(new Uri(_app.BaseUrl, "/wallets"))).StatusCode);
        await using var db = _app.App.OpenDb();
        Assert.False((await db.Users.AsNoTracking().SingleAsync(u => u.Email == "fern.finance@corp.test")).IsActive);
    }

    [DatabaseFact]
    public async Task A_demo_person_is_linked_by_email_and_their_team_places_follow_the_rules()
    {
        using var browser = _app.Browser();
        await browser.SignInAsync("leo");

        await using var db = _app.App.OpenDb();
        var leo = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "leo.lead@acme.test");
        Assert.Equal(Roles.TeamLead, leo.Role);
        var places = await db.TeamMemberships.AsNoTracking().Where(m => m.UserId == leo.Id)
            .Join(db.Teams, m => m.TeamId, t => t.Id, (m, t) => new { t.Name, m.Role }).ToDictionaryAsync(x => x.Name, x => x.Role);
        Assert.Equal(TeamRoles.Lead, places["Platform"]);
        Assert.Equal(TeamRoles.Lead, places["Engineering"]); // no rule names Engineering: left as it was
        Assert.Equal(1, await db.Users.CountAsync(u => u.Email == "leo.lead@acme.test"));
    }

    [DatabaseFact]
    public async Task Someone_in_no_mapped_group_is_told_why_and_gets_no_session()
    {
        using var browser = _app.Browser();
        var landing = await browser.SignInAsync("nobody");

        Assert.Equal("/sign-in?failed=no-group", landing.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync(new Uri(_app.BaseUrl, "/"))).StatusCode);
        await using var db = _app.App.OpenDb();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "nobody@corp.test"));
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "user.sign_in_refused" && e.Details.Contains("nobody@corp.test")));
    }

    [DatabaseFact]
    public async Task Sign_out_ends_the_session_here_and_at_the_provider_and_comes_back_to_the_sign_in_page()
    {
        using var browser = _app.Browser();
        await browser.SignInAsync("ada");
        var page = await browser.Http.GetStringAsync(new Uri(_app.BaseUrl, "/wallets"));

        var signedOut = await browser.FollowAsync(new Uri(_app.BaseUrl, "/sign-out"), method: HttpMethod.Post,
            content: new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = DevSignIn.HiddenValue(page, "__RequestVerificationToken") }));

        Assert.Equal(HttpStatusCode.OK, signedOut.Status);
        Assert.Equal(_app.BaseUrl.Port, signedOut.Uri.Port);
        Assert.Equal("/sign-in", signedOut.Uri.AbsolutePath);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync(new Uri(_app.BaseUrl, "/wallets"))).StatusCode);
        // The provider's session is gone too: signing in again shows its login form rather than passing straight through.
        var again = await browser.FollowAsync(new Uri(_app.BaseUrl, "/sign-in/test"));
        Assert.Equal(_app.Provider.Issuer.Port, again.Uri.Port);
        Assert.Contains("name=\"login\"", again.Body, StringComparison.Ordinal);
    }

    [DatabaseFact]
    public async Task An_unknown_provider_name_goes_back_to_the_sign_in_page()
    {
        using var browser = _app.Browser();
        var landing = await browser.FollowAsync(new Uri(_app.BaseUrl, "/sign-in/nosuch"));

        Assert.Equal("/sign-in?failed=unknown-provider", landing.PathAndQuery);
    }
}

public sealed class OidcSignInTests_on_Sqlite() : OidcSignInTests(DatabaseProvider.Sqlite);

public sealed class OidcSignInTests_on_Postgres() : OidcSignInTests(DatabaseProvider.Postgres);
