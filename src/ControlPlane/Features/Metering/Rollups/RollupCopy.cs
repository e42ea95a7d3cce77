using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace ControlPlane.Features.Metering.Rollups;

/// <summary>
/// Adds many rollup rows at once on PostgreSQL (a rebuild writes millions after a big seed: a minute row per
/// dimensions and minute): binary COPY into a temporary table, then one <c>INSERT … SELECT … ON CONFLICT DO UPDATE</c>,
/// so the sums are added exactly as <see cref="RollupUpsert"/> adds them, in a few statements instead of one per
/// hundred rows. Other databases go through <see cref="RollupUpsert"/>.
/// </summary>
internal static class RollupCopy
{
    private static readonly string[] Columns =
        ["grain", "bucket", "dims", "team_id", "key_id", "model", "provider", "caller", "calls", "errors", "input_tokens", "output_tokens", "cost", "latency_ms",
         "cached_input_tokens", "failed", "unpriced"];

    private static readonly string[] Summed = ["calls", "errors", "input_tokens", "output_tokens", "cost", "latency_ms", "cached_input_tokens", "failed", "unpriced"];

    public static async Task AddAsync(ControlPlaneDb db, IEnumerable<CallRollup> rows, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql())
        {
            await RollupUpsert.AddAsync(db, rows, ct);
            return;
        }
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        var columns = string.Join(", ", Columns);
        await ExecuteAsync(connection, transaction, "CREATE TEMP TABLE IF NOT EXISTS call_rollups_load (LIKE call_rollups); TRUNCATE call_rollups_load;", ct);
        await using (var copy = await connection.BeginBinaryImportAsync($"COPY call_rollups_load ({columns}) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var r in rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(r.Grain, ct);
                await copy.WriteAsync(DateTime.SpecifyKind(r.Bucket, DateTimeKind.Utc), ct);
                await copy.WriteAsync(r.Dims, ct);
                await copy.WriteAsync(r.TeamId, ct);
                await copy.WriteAsync(r.KeyId, ct);
                await copy.WriteAsync(r.Model, ct);
                await copy.WriteAsync(r.Provider, ct);
                await copy.WriteAsync(r.Caller, ct);
                await copy.WriteAsync(r.Calls, ct);
                await copy.WriteAsync(r.Errors, ct);
                await copy.WriteAsync(r.InputTokens, ct);
                await copy.WriteAsync(r.OutputTokens, ct);
                await copy.WriteAsync(r.Cost, ct);
                await copy.WriteAsync(r.LatencyMs, ct);
                await copy.WriteAsync(r.CachedInputTokens ?? 0L, ct);
                await copy.WriteAsync(r.Failed ?? 0L, ct);
                await copy.WriteAsync(r.Unpriced ?? 0L, ct);
            }
            await copy.CompleteAsync(ct);
        }
        // Key order, like RollupUpsert's chunks: two writers lock the same rows in the same order.
        await ExecuteAsync(connection, transaction,
            $"INSERT INTO call_rollups ({columns}) SELECT {columns} FROM call_rollups_load ORDER BY grain, bucket, dims "
            + "ON CONFLICT (grain, bucket, dims) DO UPDATE SET " + string.Join(", ", Summed.Select(c => $"{c} = call_rollups.{c} + excluded.{c}"))
            + "; TRUNCATE call_rollups_load;", ct);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }
}
