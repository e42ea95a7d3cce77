using ControlPlane.Features.Audit;
using ControlPlane.Features.Keys;
using ControlPlane.Features.People.Scim;
using ControlPlane.Features.SignInSettings;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Features.People;
using ControlPlane.Features.Projects;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Auth;

/// <summary>The running app and the demo things the walk acts on (the Platform team, Sam, a provider, a project).</summary>
public sealed class ServiceProbe
{
    private ServiceProbe(AppFactory app) => App = app;

    public AppFactory App { get; }
    public Guid Platform { get; private init; }
    public Guid PlatformProject { get; private init; }
    /// <summary>Sam Sales: a member of Sales only, whom Owners sign out, switch off and on, and add to Platform.</summary>
    public Guid Sam { get; private init; }
    public Guid Provider { get; private init; }
    /// <summary>A model asked for only in one of Platform's calls: whoever lists it sees Platform's calls.</summary>
    public string PlatformOnlyModel { get; } = Unique("platform-only");
    /// <summary>The provider and error class of that same call, so the provider and error-class lists prove it too.</summary>
    public string PlatformOnlyProvider { get; } = Unique("platform-prov");
    public string PlatformOnlyError { get; } = Unique("platform-err");
    /// <summary>That call: its id, its key (a Member sees it through the key) and when it was made.</summary>
    public Guid PlatformCall { get; private set; }
    public Guid PlatformCallKey { get; private set; }
    public DateTime PlatformCallAt { get; private set; }

    public static async Task<ServiceProbe> CreateAsync(AppFactory app)
    {
        var platform = await app.TeamIdAsync("Platform");
        var project = await app.WithScopeAsync(sp => sp.GetRequiredService<ProjectService>().CreateAsync(Actor.CommandLine, platform, Unique("walk")));
        await using var db = app.OpenDb();
        var sam = await db.Users.Where(u => u.Email == DemoOrg.Sam).Select(u => u.Id).SingleAsync();
        var provider = await db.Providers.OrderBy(p => p.Name).Select(p => p.Id).FirstAsync();
        var probe = new ServiceProbe(app) { Platform = platform, PlatformProject = project.Value!.Id, Sam = sam, Provider = provider };
        var call = await db.Calls.AsNoTracking().Where(c => c.TeamId == platform && c.KeyId != null).OrderByDescending(c => c.At).FirstAsync();
        call.Id = Guid.NewGuid();
        call.ModelRequested = probe.PlatformOnlyModel;
        call.ModelServed = probe.PlatformOnlyModel;
        call.ProviderName = probe.PlatformOnlyProvider;
        call.ErrorClass = probe.PlatformOnlyError;
        probe.PlatformCall = call.Id;
        probe.PlatformCallKey = call.KeyId!.Value;
        probe.PlatformCallAt = call.At;
        db.Calls.Add(call);
        await db.SaveChangesAsync();
        return probe;
    }

    public static string Unique(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 13)];

    public Task<T> Use<TService, T>(Func<TService, Task<T>> use) where TService : notnull =>
        App.WithScopeAsync(sp => use(sp.GetRequiredService<TService>()));

    /// <summary>Runs <paramref name="use"/> in a scope whose signed-in person is the actor, as in their circuit.</summary>
    public Task<T> AsSignedIn<TService, T>(Actor actor, Func<TService, Task<T>> use) where TService : notnull =>
        App.WithScopeAsync(async sp =>
        {
            await using var db = App.OpenDb();
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == actor.UserId);
            ((IHostEnvironmentAuthenticationStateProvider)sp.GetRequiredService<AuthenticationStateProvider>())
                .SetAuthenticationState(Task.FromResult(new AuthenticationState(PeopleDirectory.PrincipalFor(user, "test"))));
            return await use(sp.GetRequiredService<TService>());
        });

    /// <summary>
    /// The app's <see cref="ScimTokens"/> over its database and audit chain, with one identity provider configured (the
    /// test app has none, and a token is only made for a configured one).
    /// </summary>
    public ScimTokens ScimTokensWithProvider(string provider) =>
        new(App.Services.GetRequiredService<IDbContextFactory<ControlPlaneDb>>(),
            new ConfiguredProviders(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"Auth:Oidc:{provider}:Authority"] = "https://idp.example", [$"Auth:Oidc:{provider}:ClientId"] = "walk",
            }).Build()),
            App.Services.GetRequiredService<AuditLog>(), App.Services.GetRequiredService<TimeProvider>());

    /// <summary>
    /// Platform's team wallet with a limit its spend this period is past, so it heads the Overview's watch list (which
    /// shows only the few soonest to run out); its id.
    /// </summary>
    public async Task<Guid> ExhaustedPlatformWalletAsync()
    {
        var saved = await Use<WalletService, ControlPlane.Infrastructure.Outcome<Wallet>>(s =>
            s.SaveAsync(Actor.CommandLine, WalletOwners.Team, Platform, new WalletForm { Limit = 0.000001m }));
        Assert.True(saved.Succeeded, saved.Error);
        return saved.Value!.Id;
    }

    public async Task<ApiKey> NewPlatformKeyAsync()
    {
        var created = await Use<KeyService, ControlPlane.Infrastructure.Outcome<CreatedKey>>(s => s.CreateAsync(Actor.CommandLine, Platform, Unique("walk-key"), null));
        Assert.True(created.Succeeded, created.Error);
        return created.Value!.Key;
    }
}
