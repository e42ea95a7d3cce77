using System.Text;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace ControlPlane.Features.Metering.Rollups;

/// <summary>
/// Adds rollup rows to the table in the caller's transaction: a row that exists has the sums added to it, a new one is
/// inserted. One statement per chunk of rows, atomic on each database, so two nodes adding to the same bucket at once
/// both count: <c>INSERT … ON CONFLICT DO UPDATE</c> on SQLite and PostgreSQL, <c>MERGE … WITH (HOLDLOCK)</c> on SQL
/// Server. SQLite keeps decimals as text, so its money is added with EF's own exact <c>ef_add</c>.
/// </summary>
internal static class RollupUpsert
{
    /// <summary>Rows per statement: 17 parameters each stays under SQL Server's 2,100.</summary>
    internal const int ChunkSize = 100;

    private static readonly string[] Columns =
        ["grain", "bucket", "dims", "team_id", "key_id", "model", "provider", "caller", "calls", "errors", "input_tokens", "output_tokens", "cost", "latency_ms",
         "cached_input_tokens", "failed", "unpriced"];

    // A null (a row from before these columns existed) plus a number stays null on every database: still "not known".
    private static readonly string[] Summed = ["calls", "errors", "input_tokens", "output_tokens", "cost", "latency_ms", "cached_input_tokens", "failed", "unpriced"];

    public static async Task AddAsync(ControlPlaneDb db, IEnumerable<CallRollup> rows, CancellationToken ct)
    {
        var provider = ProviderOf(db);
        var mappings = db.GetService<IRelationalTypeMappingSource>();
        var connection = db.Database.GetDbConnection();
        foreach (var chunk in rows.Chunk(ChunkSize))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            command.CommandText = SqlFor(provider, chunk.Length);
            var i = 0;
            foreach (var row in chunk)
                foreach (var value in ValuesOf(row))
                {
                    var mapping = mappings.FindMapping(value.GetType())
                        ?? throw new InvalidOperationException($"No database type for a rollup value of type {value.GetType().Name}.");
                    command.Parameters.Add(mapping.CreateParameter(command, $"@p{i++}", value));
                }
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static object[] ValuesOf(CallRollup r) =>
        [r.Grain, r.Bucket, r.Dims, r.TeamId, r.KeyId, r.Model, r.Provider, r.Caller, r.Calls, r.Errors, r.InputTokens, r.OutputTokens, r.Cost, r.LatencyMs,
         r.CachedInputTokens ?? 0L, r.Failed ?? 0L, r.Unpriced ?? 0L];

    internal static DatabaseProvider ProviderOf(ControlPlaneDb db) =>
        db.Database.IsNpgsql() ? DatabaseProvider.Postgres : db.Database.IsSqlServer() ? DatabaseProvider.SqlServer : DatabaseProvider.Sqlite;

    /// <summary>The statement that adds <paramref name="rows"/> rows whose values are @p0, @p1, … in <see cref="Columns"/> order.</summary>
    internal static string SqlFor(DatabaseProvider provider, int rows)
    {
        var values = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            if (r > 0) values.Append(", ");
            values.Append('(').AppendJoin(", ", Columns.Select((_, c) => $"@p{r * Columns.Length + c}")).Append(')');
        }
        var columns = string.Join(", ", Columns);
        return provider switch
        {
            DatabaseProvider.SqlServer =>
                $"MERGE call_rollups WITH (HOLDLOCK) AS t USING (VALUES {values}) AS s ({columns}) "
                + "ON t.grain = s.grain AND t.bucket = s.bucket AND t.dims = s.dims "
                + $"WHEN MATCHED THEN UPDATE SET {string.Join(", ", Summed.Select(c => $"t.{c} = t.{c} + s.{c}"))} "
                + $"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({string.Join(", ", Columns.Select(c => $"s.{c}"))});",
            _ =>
                $"INSERT INTO call_rollups ({columns}) VALUES {values} ON CONFLICT (grain, bucket, dims) DO UPDATE SET "
                + string.Join(", ", Summed.Select(c => provider == DatabaseProvider.Sqlite && c == "cost"
                    ? $"{c} = ef_add(call_rollups.{c}, excluded.{c})"
                    : $"{c} = call_rollups.{c} + excluded.{c}")),
        };
    }
}
