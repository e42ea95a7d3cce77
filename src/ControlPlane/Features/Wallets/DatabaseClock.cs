using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// The database's own clock. Lease expiry is written and compared in this one clock, so nodes whose clocks disagree
/// can never see a live lease as expired (or a dead one as live): a node's own clock only measures how long it has
/// been since it last renewed.
/// </summary>
internal static class DatabaseClock
{
    internal const string SqlServerNow = "SELECT SYSUTCDATETIME() AS [Value]";

    public static async Task<DateTime> NowAsync(ControlPlaneDb db, CancellationToken ct)
    {
        var sql = db.Database.ProviderName switch
        {
            "Npgsql.EntityFrameworkCore.PostgreSQL" => "SELECT clock_timestamp() AS \"Value\"",
            "Microsoft.EntityFrameworkCore.SqlServer" => SqlServerNow,
            _ => "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') AS \"Value\"",
        };
        var now = await db.Database.SqlQueryRaw<DateTime>(sql).SingleAsync(ct);
        return DateTime.SpecifyKind(now, DateTimeKind.Utc);
    }
}
