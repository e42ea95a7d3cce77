using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Infrastructure.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>
/// The real app (Program.cs, middleware, real database) on the test server, or with <see cref="ListenOnLoopback"/>
/// on Kestrel at 127.0.0.1, so that real clients (the OpenAI and Anthropic SDKs, node) call it over real sockets.
/// </summary>
public sealed class AppFactory(TestDatabase database, string environment = "Development", bool? seedDemoData = true,
    IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public TestDatabase Database => database;

    /// <summary>The host names this app may look up (localhost only, unless a test maps more).</summary>
    public TableResolver Resolver { get; } = new();

    /// <summary>Services a test adds or replaces after the app's own (a log capture, a handler's back channel).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("Database:Provider", database.Provider.ToString());
        builder.UseSetting("Database:ConnectionString", database.ConnectionString);
        // null: the setting left unset, as in a deployment that never mentions it.
        if (seedDemoData is { } seed) builder.UseSetting("Database:SeedDemoData", seed.ToString());
        // Outside Development the app needs its key-encryption certificate, as an operator would configure it; a test
        // that names any KeyEncryption setting itself (even empty) gets exactly what it names.
        if (environment != "Development" && settings?.Keys.Any(k => k.StartsWith("KeyEncryption:", StringComparison.Ordinal)) != true)
            foreach (var (key, value) in TestKeyEncryption.Settings()) builder.UseSetting(key, value);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) builder.UseSetting(key, value);
        // No lookup leaves the machine (the demo's providers are real hosts): names resolve from a table; tests map their own.
        builder.ConfigureTestServices(services => services.AddSingleton<IProviderHostResolver>(Resolver));
        if (TestServices is not null) builder.ConfigureTestServices(TestServices);
    }

    /// <summary>Serves on a free port of 127.0.0.1 over real sockets; returns the base address.</summary>
    public Uri ListenOnLoopback()
    {
        UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        StartServer();
        var addresses = Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }

    public HttpClient CreateBrowserClient() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public ControlPlaneDb OpenDb() => Services.GetRequiredService<IDbContextFactory<ControlPlaneDb>>().CreateDbContext();

    /// <summary>Runs <paramref name="use"/> with a service scope, as a request or a circuit would.</summary>
    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> use)
    {
        await using var scope = Services.CreateAsyncScope();
        var result = await use(scope.ServiceProvider);
        // An async lambda that returns a service's task without awaiting it leaves that work running past this
        // await (and past the scope): the next step of the test then races it.
        if (result is Task) throw new InvalidOperationException("WithScopeAsync was given a lambda that returns an unawaited task; await it inside.");
        return result;
    }
}
