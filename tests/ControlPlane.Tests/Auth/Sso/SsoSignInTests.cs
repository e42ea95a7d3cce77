using System.Security.Claims;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Auth.Sso;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Auth.Sso;

/// <summary>
/// The hook every protocol handler calls (OnTicketReceived, OnRemoteFailure), given the tickets and failures a
/// handler hands it, for any remote scheme: the session gets our principal, or the person goes back to sign in.
/// </summary>
public abstract class SsoSignInTests(DatabaseProvider provider) : IAsyncLifetime
{
    private TestDatabase _database = default!;
    private AppFactory _app = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(provider);
        _app = new AppFactory(_database, settings: SsoMappings.Settings());
        _ = _app.Services;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    private sealed class AnyRemoteOptions : RemoteAuthenticationOptions;

    private static AuthenticationScheme Scheme(string name) => new(name, name, typeof(CookieAuthenticationHandler));

    private (TicketReceivedContext Context, AsyncServiceScope Scope) Ticket(string scheme, string returnUrl, params Claim[] claims)
    {
        var scope = _app.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var ticket = new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, scheme)), new AuthenticationProperties { RedirectUri = returnUrl }, scheme);
        // As RemoteAuthenticationHandler does: the return address is the one the challenge stored.
        return (new TicketReceivedContext(http, Scheme(scheme), new AnyRemoteOptions(), ticket) { ReturnUri = returnUrl }, scope);
    }

    [DatabaseFact]
    public async Task A_verified_ticket_becomes_our_own_session_principal_for_the_person()
    {
        var (context, scope) = Ticket("saml-entra", "/wallets",
            new Claim("sub", "nameid-42"), new Claim("email", "fiona.finance@acme.test"), new Claim("name", "Fiona F"),
            new Claim("groups", SsoMappings.Finance), new Claim("groups", "everyone"));
        await using (scope)
            await scope.ServiceProvider.GetRequiredService<SsoSignIn>().TicketReceivedAsync(context);

        Assert.Null(context.Result); // not handled: the handler goes on to sign the cookie in
        Assert.Equal("sso:entra", context.Principal!.FindFirstValue(ClaimTypes.AuthenticationMethod));
        Assert.True(context.Principal!.IsInRole(Roles.FinanceAdmin));
        Assert.Null(context.Principal!.FindFirst("groups")); // the provider's claims stay out of our session
        Assert.Equal("/wallets", context.ReturnUri);
        Assert.True(await _app.Services.GetRequiredService<SessionCheck>().IsCurrentAsync(context.Principal!));
        await using var db = _app.OpenDb();
        Assert.True(await db.Set<ExternalLogin>().AnyAsync(l => l.Provider == "entra" && l.Subject == "nameid-42"));
    }

    [DatabaseFact]
    public async Task A_return_address_on_another_site_is_replaced_by_the_home_page()
    {
        var (context, scope) = Ticket("oidc-okta", "https://evil.example/steal",
            new Claim("sub", "00u-1"), new Claim("email", "adam.admin@acme.test"), new Claim("groups", SsoMappings.Admins));
        await using (scope)
            await scope.ServiceProvider.GetRequiredService<SsoSignIn>().TicketReceivedAsync(context);

        Assert.Equal("/", context.ReturnUri);
    }

    [DatabaseFact]
    public async Task A_refused_person_is_sent_back_to_the_sign_in_page_with_the_reason_and_no_session()
    {
        var (context, scope) = Ticket("oidc-okta", "/",
            new Claim("sub", "00u-2"), new Claim("email", "stranger@elsewhere.test"), new Claim("groups", "everyone"));
        await using (scope)
            await scope.ServiceProvider.GetRequiredService<SsoSignIn>().TicketReceivedAsync(context);

        Assert.True(context.Result!.Handled);
        Assert.Equal("/sign-in?failed=no-group", context.Response.Headers.Location.ToString());
    }

    [DatabaseFact]
    public async Task A_failure_of_the_protocol_handler_is_audited_with_its_reason_and_ends_at_the_sign_in_page()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var context = new RemoteFailureContext(http, Scheme("oidc-okta"), new AnyRemoteOptions(), new AuthenticationFailureException("Correlation failed."));

        await scope.ServiceProvider.GetRequiredService<SsoSignIn>().RemoteFailureAsync(context);

        Assert.True(context.Result!.Handled);
        Assert.Equal("/sign-in?failed=not-verified", http.Response.Headers.Location.ToString());
        await using var db = _app.OpenDb();
        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "user.sign_in_refused");
        Assert.Equal("sso:okta", entry.Target);
        Assert.Contains("Correlation failed.", entry.Details, StringComparison.Ordinal);
    }
}

public sealed class SsoSignInTests_on_Sqlite() : SsoSignInTests(DatabaseProvider.Sqlite);

public sealed class SsoSignInTests_on_Postgres() : SsoSignInTests(DatabaseProvider.Postgres);
