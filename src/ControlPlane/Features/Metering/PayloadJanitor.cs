using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering;

/// <summary>
/// Deletes kept prompts and completions once their team's retention has passed; a recurring job, every hour. Idempotent
/// and safe on many nodes: one DELETE by a cut-off from the clock; a row already gone is simply not there.
/// </summary>
public sealed partial class PayloadJanitor(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock, ILogger<PayloadJanitor> logger) : IScheduledJob
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var deleted = await DeleteExpiredAsync(cancellationToken);
        if (deleted > 0) LogDeleted(logger, deleted);
    }

    public async Task<int> DeleteExpiredAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.CallPayloads.Where(p => p.ExpiresAt <= now).ExecuteDeleteAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} kept call payload(s) past their retention")]
    private static partial void LogDeleted(ILogger logger, int count);
}
