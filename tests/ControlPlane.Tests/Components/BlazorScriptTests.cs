using System.Net;
using System.Reflection;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Components;

/// <summary>
/// Blazor's script is the one the SDK takes from the ASP.NET Core release the app runs on: no copy in the repository,
/// no build-time extraction from another release.
/// </summary>
public sealed class BlazorScriptTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    private const string Script = "_framework/blazor.web.js";

    [Fact]
    public async Task Blazor_web_js_is_served_from_the_runtime_release_not_from_the_repository()
    {
        using var client = fixture.App.CreateClient();
        using var response = await client.GetAsync("/" + Script);
        var served = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.True(served.Length > 10_000, $"blazor.web.js is only {served.Length} bytes");

        var file = fixture.App.Services.GetRequiredService<IWebHostEnvironment>().WebRootFileProvider.GetFileInfo(Script);
        Assert.True(file.Exists && file.PhysicalPath is not null, $"{Script} is not a static web asset");
        var repository = RepositoryRoot();
        Assert.False(file.PhysicalPath.StartsWith(repository, StringComparison.Ordinal),
            $"{Script} is served from the repository ({file.PhysicalPath}), not from the SDK's package");
        Assert.False(File.Exists(Path.Combine(repository, "src", "ControlPlane", "wwwroot", "_framework", "blazor.web.js")));
        Assert.Equal(await File.ReadAllBytesAsync(file.PhysicalPath), served);

        // The package's folder is its version: the same release as the ASP.NET Core the app runs on.
        var release = typeof(WebApplication).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        var sep = Path.DirectorySeparatorChar;
        Assert.True(file.PhysicalPath.Contains($"{sep}{release}{sep}", StringComparison.Ordinal),
            $"{Script} comes from {file.PhysicalPath}; the app runs on ASP.NET Core {release}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln")))
                return dir.FullName + Path.DirectorySeparatorChar;
        }
        throw new InvalidOperationException($"No ControlPlane.sln above {AppContext.BaseDirectory}.");
    }
}
