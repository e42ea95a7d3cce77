using ControlPlane.Infrastructure.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>The real app (Program.cs, middleware, real database) on the test server.</summary>
public sealed class AppFactory(TestDatabase database, string environment = "Development", bool seedDemoData = true) : WebApplicationFactory<Program>
{
    public TestDatabase Database => database;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("Database:Provider", database.Provider.ToString());
        builder.UseSetting("Database:ConnectionString", database.ConnectionString);
        builder.UseSetting("Database:SeedDemoData", seedDemoData.ToString());
    }

    public HttpClient CreateBrowserClient() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public ControlPlaneDb OpenDb() => Services.GetRequiredService<IDbContextFactory<ControlPlaneDb>>().CreateDbContext();

    /// <summary>Runs <paramref name="use"/> with a service scope, as a request or a circuit would.</summary>
    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> use)
    {
        await using var scope = Services.CreateAsyncScope();
        return await use(scope.ServiceProvider);
    }
}
