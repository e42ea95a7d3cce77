using System.Net;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Cli;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.People;

/// <summary>
/// A fresh Production install (no demo data, no identity provider) is reached by its first Owner: the command line
/// creates them and prints a one-time link, and the link signs them in once.
/// </summary>
public abstract class FirstOwnerTests(DatabaseProvider provider) : IAsyncLifetime
{
    private AppFactory _app = default!;

    public async Task InitializeAsync()
    {
        _app = new AppFactory(await TestDatabase.CreateAsync(provider), environment: "Production", seedDemoData: null);
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _app.Database.DisposeAsync();
    }

    private async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(_app.Services, args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [DatabaseFact]
    public async Task The_first_Owner_of_a_fresh_production_install_signs_in_through_the_printed_link_once()
    {
        await using (var db = _app.OpenDb()) Assert.False(await db.Users.AnyAsync());
        using var browser = _app.CreateBrowserClient();
        var before = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, before.StatusCode);

        var (exit, stdout, stderr) = await RunAsync("owner", "create", "first.owner@example.com", "First Owner");
        Assert.True(exit == 0, stderr);
        Assert.Contains("first.owner@example.com is an Owner", stdout, StringComparison.Ordinal);
        var path = LinkSignIn.PathIn(stdout);

        // Opening the link (as a chat preview would, twice) does not use it.
        await LinkSignIn.OpenAsync(_app.CreateBrowserClient(), path);
        var page = await LinkSignIn.OpenAsync(browser, path);
        Assert.Contains("Sign in as First Owner", page, StringComparison.Ordinal);
        var signedIn = await LinkSignIn.PressAsync(browser, path, page);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, $"{(int)signedIn.StatusCode}: {await signedIn.Content.ReadAsStringAsync()}");
        Assert.Equal("/", signedIn.Headers.Location!.AbsolutePath);

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/people")).StatusCode);

        // Used: a second press (another browser) is refused with the reason.
        using var late = _app.CreateBrowserClient();
        var again = await LinkSignIn.OpenAsync(late, path);
        Assert.Contains("already used", again, StringComparison.Ordinal);
        Assert.DoesNotContain("_handler", again, StringComparison.Ordinal);

        await using var check = _app.OpenDb();
        var owner = await check.Users.AsNoTracking().SingleAsync();
        Assert.Equal((Roles.Owner, "link"), (owner.Role, owner.LastSignInMethod));
        Assert.Equal(1, await check.Organizations.CountAsync());
        var actions = await check.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
        Assert.Equal(["user.owner_created", "user.sign_in_link.created", "user.sign_in_link.used"], actions);
        // Only the token's hash is kept.
        var token = path[SignInLinks.PathPrefix.Length..];
        Assert.False(await check.Set<SignInLink>().AnyAsync(l => l.TokenHash == token));
    }

    [DatabaseFact]
    public async Task Break_glass_makes_an_existing_person_an_Owner_again_and_switches_them_on()
    {
        Assert.Equal(0, (await RunAsync("owner", "create", "first.owner@example.com", "First Owner")).Exit);
        await using (var db = _app.OpenDb())
            await db.Users.ExecuteUpdateAsync(u => u.SetProperty(x => x.Role, Roles.Member).SetProperty(x => x.IsActive, false));

        var (exit, stdout, stderr) = await RunAsync("owner", "create", "FIRST.owner@example.com", "First Owner");

        Assert.True(exit == 0, stderr);
        await using var check = _app.OpenDb();
        var owner = await check.Users.AsNoTracking().SingleAsync();
        Assert.Equal((Roles.Owner, true), (owner.Role, owner.IsActive));
        Assert.Contains(await check.AuditEntries.AsNoTracking().Select(e => e.Action).ToListAsync(), a => a == "user.made_owner");
        Assert.Contains("/sign-in/link/", stdout, StringComparison.Ordinal);
    }

    [DatabaseFact]
    public async Task Owner_create_refuses_a_malformed_address_and_wrong_usage()
    {
        var bad = await RunAsync("owner", "create", "not-an-address", "Someone");
        Assert.Equal(1, bad.Exit);
        Assert.Contains("not an e-mail address", bad.Err, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync("owner", "create", "only@example.com")).Exit);
    }
}

public sealed class FirstOwnerTests_on_Sqlite() : FirstOwnerTests(DatabaseProvider.Sqlite);

public sealed class FirstOwnerTests_on_Postgres() : FirstOwnerTests(DatabaseProvider.Postgres);
