using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace ControlPlane.Infrastructure;

public static class Configuration
{
    /// <summary>
    /// appsettings.json lives at the repository root and is copied beside the binary. Read it from there, so the
    /// app finds it whatever the working directory, and first, so environment variables and arguments override it.
    /// </summary>
    public static WebApplicationBuilder AddRootConfiguration(this WebApplicationBuilder builder)
    {
        var sources = builder.Configuration.Sources;
        sources.Insert(0, Json("appsettings.json"));
        sources.Insert(1, Json($"appsettings.{builder.Environment.EnvironmentName}.json"));
        return builder;
    }

    private static JsonConfigurationSource Json(string file) => new()
    {
        Path = file,
        Optional = true,
        FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
    };
}
