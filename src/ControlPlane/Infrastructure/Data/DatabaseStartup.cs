using ControlPlane.Features.Demo;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Data;

public static partial class DatabaseStartup
{
    /// <summary>Applies pending migrations, then (when asked for, or in Development, and the database is empty) the demo organisation.</summary>
    public static async Task PrepareDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await MigrateAsync(services, ct);
        if (services.GetRequiredService<IOptions<DatabaseOptions>>().Value.SeedsDemoDataIn(services.GetRequiredService<IHostEnvironment>()))
        {
            await using var scope = services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DemoData>().SeedIfEmptyAsync(ct);
        }
    }

    public static async Task<IReadOnlyList<string>> MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        var dbFactory = services.GetRequiredService<IDbContextFactory<ControlPlaneDb>>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        await db.Database.MigrateAsync(ct);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseStartup));
        if (pending.Count > 0)
            LogMigrated(logger, pending.Count, pending);
        return pending;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} migration(s): {Migrations}")]
    private static partial void LogMigrated(ILogger logger, int count, IReadOnlyList<string> migrations);
}
