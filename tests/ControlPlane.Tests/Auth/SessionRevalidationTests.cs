using System.Net;
using System.Security.Claims;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Auth;

/// <summary>
/// A session speaks for its person only while the database agrees: a demotion, a sign-out and an Owner's "sign out
/// everywhere" end it on the next request (and the next circuit check), not when the cookie expires.
/// Auth:RevalidateSeconds is 0 here, so every request reads the person again.
/// </summary>
public abstract class SessionRevalidationTests(DatabaseProvider provider) : IAsyncLifetime
{
    private TestDatabase _database = default!;
    private AppFactory _app = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(provider);
        _app = new AppFactory(_database, settings: new Dictionary<string, string?> { ["Auth:RevalidateSeconds"] = "0" });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [DatabaseFact]
    public async Task A_demoted_admin_loses_the_admin_pages_on_the_next_request()
    {
        using var client = _app.CreateBrowserClient();
        await client.SignInAsync("adam.admin@acme.test");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/providers")).StatusCode);

        await SetRoleAsync("adam.admin@acme.test", Roles.Member);

        var after = await client.GetAsync("/providers");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal(AuthSetup.SignInPath, new Uri(new Uri("http://localhost"), after.Headers.Location!).AbsolutePath);
    }

    [DatabaseFact]
    public async Task After_sign_out_a_copy_of_the_old_cookie_is_refused()
    {
        var cookies = new CookieContainer();
        using var client = _app.CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(cookies));
        await client.SignInAsync("fiona.finance@acme.test");
        var copied = cookies.GetCookieHeader(new Uri("http://localhost"));
        Assert.Contains("cp-session=", copied, StringComparison.Ordinal);
        var page = await client.GetStringAsync("/wallets");

        var signedOut = await client.PostAsync("/sign-out", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = DevSignIn.HiddenValue(page, "__RequestVerificationToken"),
        }));
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);

        using var thief = _app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        thief.DefaultRequestHeaders.Add("Cookie", copied);
        Assert.Equal(HttpStatusCode.Redirect, (await thief.GetAsync("/wallets")).StatusCode);
    }

    [DatabaseFact]
    public async Task An_owner_signs_a_person_out_everywhere_and_nobody_else_may()
    {
        using var client = _app.CreateBrowserClient();
        await client.SignInAsync("mia.member@acme.test");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/keys")).StatusCode);
        var mia = await UserAsync("mia.member@acme.test");

        var byAdmin = await _app.WithScopeAsync(async sp => await sp.GetRequiredService<PeopleDirectory>()
            .SignOutEverywhereAsync(await _app.ActorAsync("adam.admin@acme.test"), mia.Id));
        Assert.False(byAdmin.Succeeded);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/keys")).StatusCode);

        var byOwner = await _app.WithScopeAsync(async sp => await sp.GetRequiredService<PeopleDirectory>()
            .SignOutEverywhereAsync(await _app.ActorAsync("olivia.owner@acme.test"), mia.Id));
        Assert.True(byOwner.Succeeded, byOwner.Error);

        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/keys")).StatusCode);
        await using var db = _app.OpenDb();
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "user.signed_out_everywhere" && e.Target == $"user:{mia.Id}"));
    }

    [DatabaseFact]
    public async Task An_open_circuit_checks_its_session_with_the_same_rule()
    {
        var adam = await UserAsync("adam.admin@acme.test");
        var session = new AuthenticationState(PeopleDirectory.PrincipalFor(adam, "dev"));
        await using var scope = _app.Services.CreateAsyncScope();
        var circuit = Assert.IsType<RevalidatingSessionState>(scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());
        Assert.True(await circuit.IsCurrentAsync(session));

        await SetRoleAsync("adam.admin@acme.test", Roles.Member);

        Assert.False(await circuit.IsCurrentAsync(session));
    }

    private async Task SetRoleAsync(string email, string role)
    {
        await using var db = _app.OpenDb();
        await db.Users.Where(u => u.Email == email).ExecuteUpdateAsync(u => u.SetProperty(x => x.Role, role));
    }

    private async Task<User> UserAsync(string email)
    {
        await using var db = _app.OpenDb();
        return await db.Users.AsNoTracking().SingleAsync(u => u.Email == email);
    }
}

public sealed class SessionRevalidationTests_on_Sqlite() : SessionRevalidationTests(DatabaseProvider.Sqlite);

public sealed class SessionRevalidationTests_on_Postgres() : SessionRevalidationTests(DatabaseProvider.Postgres);

/// <summary>Outside Development a dev sign-in session is refused, whoever it names.</summary>
public sealed class DevSessionsOutsideDevelopmentTests : IAsyncLifetime
{
    private TestDatabase _database = default!;
    private AppFactory _app = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        _app = new AppFactory(_database, environment: "Production", seedDemoData: true);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_dev_sign_in_principal_is_not_a_current_session_in_Production()
    {
        await using var db = _app.OpenDb();
        var olivia = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "olivia.owner@acme.test");
        var sessions = _app.Services.GetRequiredService<SessionCheck>();

        Assert.False(await sessions.IsCurrentAsync(PeopleDirectory.PrincipalFor(olivia, "dev")));
        Assert.True(await sessions.IsCurrentAsync(PeopleDirectory.PrincipalFor(olivia, "oidc")));
        Assert.True(await sessions.IsCurrentAsync(new ClaimsPrincipal(new ClaimsIdentity())));
    }
}
