using System.Diagnostics;
using System.Globalization;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace ControlPlane.Features.CallSeed;

/// <summary>
/// Fills the call log with <see cref="SeedHistory"/> for tests, demos and the scale benchmark: PostgreSQL through binary
/// COPY, SQLite through one prepared insert re-run in one transaction per batch. Uses the keys and priced models in the
/// database (a fixed catalogue when none are priced). Rows only: wallets are not charged for made-up history.
/// </summary>
public sealed partial class CallSeeder(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock, ILogger<CallSeeder> logger)
{
    private static readonly SeedModel[] FallbackModels =
    [
        new("gpt-4o-mini", "gpt-4o-mini", null, "openai", 0.15m, 0.075m, 0.6m, 5, 350, 110),
        new("gpt-4o", "gpt-4o", null, "openai", 2.5m, 1.25m, 10m, 3, 600, 70),
        new("claude-sonnet", "claude-sonnet-4", null, "anthropic", 3m, 0.3m, 15m, 2.5, 800, 60),
        new("claude-haiku", "claude-haiku-4", null, "anthropic", 0.8m, 0.08m, 4m, 2, 400, 120),
        new("gemini-flash", "gemini-2.0-flash", null, "gemini", 0.1m, 0.025m, 0.4m, 1.5, 300, 150),
    ];

    /// <summary>From this many calls on, a PostgreSQL seed builds the indexes after the rows (<see cref="PostgresBulk"/>).</summary>
    public const long BulkCalls = 500_000;

    public sealed record Result(long Calls, DateTime From, DateTime To, TimeSpan Took);

    /// <summary>
    /// Writes <paramref name="calls"/> calls spread over the <paramref name="days"/> days before now; on PostgreSQL,
    /// from <paramref name="bulkFrom"/> calls on (default <see cref="BulkCalls"/>), with the indexes built after the rows.
    /// </summary>
    public async Task<Result> SeedAsync(long calls, int days, IProgress<long>? progress = null, long bulkFrom = BulkCalls, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(calls);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(days);
        var watch = Stopwatch.StartNew();
        var to = clock.GetUtcNow().UtcDateTime;
        var from = to.AddDays(-days);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt).Select(k => new { k.Id, k.TeamId }).ToListAsync(ct);
        if (keys.Count == 0) throw new InvalidOperationException("There are no keys to seed calls for: create teams and keys first (or start once with demo data).");
        // A few busy keys and many quiet ones (Zipf-like).
        var seedKeys = keys.Select((k, i) => new SeedKey(k.Id, k.TeamId, 1.0 / (i + 1))).ToList();
        var history = new SeedHistory(seedKeys, await ModelsAsync(db, ct));
        var hours = SeedHistory.Spread(calls, from, to);

        var written = 0L;
        var sqlite = db.Database.IsSqlite();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        // A big seed on PostgreSQL runs in one transaction that drops the secondary indexes of calls and builds them
        // again after the COPY: building an index once is several times faster than updating nine of them per row, and
        // if the seed fails or is stopped the rollback brings back the indexes (and no rows). It locks the table meanwhile.
        await using var bulk = !sqlite && calls >= bulkFrom ? await PostgresBulk.BeginAsync((NpgsqlConnection)connection, ct) : null;
        for (var i = 0; i < hours.Count;)
        {
            // About 200,000 rows per batch: one COPY or one transaction each, so progress shows and memory stays flat.
            var batch = new List<(DateTime Hour, int Calls, int Index)>();
            var size = 0;
            while (i < hours.Count && size < 200_000)
            {
                batch.Add((hours[i].Hour, hours[i].Calls, i));
                size += hours[i].Calls;
                i++;
            }
            var rows = batch.SelectMany(h => history.Hour(h.Hour, h.Calls, to, history.RandomFor(h.Index)));
            written += sqlite
                ? await InsertSqliteAsync((SqliteConnection)connection, rows, ct)
                : await CopyPostgresAsync((NpgsqlConnection)connection, rows, ct);
            progress?.Report(written);
        }
        if (bulk is not null) await bulk.CommitAsync(ct);
        LogSeeded(logger, written, from, to, watch.Elapsed);
        return new Result(written, from, to, watch.Elapsed);
    }

    private static async Task<IReadOnlyList<SeedModel>> ModelsAsync(ControlPlaneDb db, CancellationToken ct)
    {
        var priced = await db.Prices.AsNoTracking()
            .Join(db.Providers.AsNoTracking(), p => p.ProviderId, v => v.Id, (p, v) => new { p.UpstreamModel, p.ProviderId, Provider = v.Name, p.InputPerMillion, p.CachedInputPerMillion, p.OutputPerMillion, p.EffectiveFrom })
            .ToListAsync(ct);
        var latest = priced.GroupBy(p => (p.ProviderId, p.UpstreamModel)).Select(g => g.MaxBy(p => p.EffectiveFrom)!).OrderBy(p => p.UpstreamModel, StringComparer.Ordinal).ToList();
        if (latest.Count == 0) return FallbackModels;
        // Cheaper models are called more; dearer ones answer slower.
        return [.. latest.Select((p, i) => new SeedModel(p.UpstreamModel, p.UpstreamModel, p.ProviderId, p.Provider, p.InputPerMillion, p.CachedInputPerMillion, p.OutputPerMillion,
            Weight: 1.0 / (double)(1m + p.OutputPerMillion), TtftMs: 250 + (int)Math.Min(1500m, p.OutputPerMillion * 40m), TokensPerSecond: 160.0 / (1 + (double)p.OutputPerMillion / 10)))];
    }

    private const string Columns = "id, at, key_id, team_id, caller, end_user, endpoint, model_requested, model_served, provider_id, provider_name, route_reason, status, error_class, " +
        "retries, streamed, input_tokens, cached_input_tokens, cache_write_input_tokens, output_tokens, cost, unpriced, usage_source, time_to_first_token_ms, latency_ms, " +
        "output_tokens_per_second, request_bytes, response_bytes, count";

    private static async Task<long> CopyPostgresAsync(NpgsqlConnection connection, IEnumerable<CallRecord> rows, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync($"COPY calls ({Columns}) FROM STDIN (FORMAT BINARY)", ct);
        long n = 0;
        foreach (var c in rows)
        {
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(c.Id, NpgsqlDbType.Uuid, ct);
            await copy.WriteAsync(c.At, NpgsqlDbType.TimestampTz, ct);
            await WriteNullableAsync(copy, c.KeyId, NpgsqlDbType.Uuid, ct);
            await WriteNullableAsync(copy, c.TeamId, NpgsqlDbType.Uuid, ct);
            await WriteTextAsync(copy, c.Caller, ct);
            await WriteTextAsync(copy, c.EndUser, ct);
            await WriteTextAsync(copy, c.Endpoint, ct);
            await WriteTextAsync(copy, c.ModelRequested, ct);
            await WriteTextAsync(copy, c.ModelServed, ct);
            await WriteNullableAsync(copy, c.ProviderId, NpgsqlDbType.Uuid, ct);
            await WriteTextAsync(copy, c.ProviderName, ct);
            await WriteTextAsync(copy, c.RouteReason, ct);
            await copy.WriteAsync(c.Status, NpgsqlDbType.Integer, ct);
            await WriteTextAsync(copy, c.ErrorClass, ct);
            await copy.WriteAsync(c.Retries, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(c.Streamed, NpgsqlDbType.Boolean, ct);
            await copy.WriteAsync(c.InputTokens, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(c.CachedInputTokens, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(c.CacheWriteInputTokens, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(c.OutputTokens, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(c.Cost, NpgsqlDbType.Numeric, ct);
            await copy.WriteAsync(c.Unpriced, NpgsqlDbType.Boolean, ct);
            await copy.WriteAsync(c.UsageSource.ToString(), NpgsqlDbType.Varchar, ct);
            await WriteNullableAsync(copy, c.TimeToFirstTokenMs, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(c.LatencyMs, NpgsqlDbType.Integer, ct);
            await WriteNullableAsync(copy, c.OutputTokensPerSecond, NpgsqlDbType.Double, ct);
            await copy.WriteAsync(c.RequestBytes, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(c.ResponseBytes, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(c.Count, NpgsqlDbType.Integer, ct);
            n++;
        }
        await copy.CompleteAsync(ct);
        return n;
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken ct) =>
        value is null ? copy.WriteNullAsync(ct) : copy.WriteAsync(value, NpgsqlDbType.Varchar, ct);

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken ct) where T : struct =>
        value is { } v ? copy.WriteAsync(v, type, ct) : copy.WriteNullAsync(ct);

    private static async Task<long> InsertSqliteAsync(SqliteConnection connection, IEnumerable<CallRecord> rows, CancellationToken ct)
    {
        var names = Columns.Split(", ");
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = $"INSERT INTO calls ({Columns}) VALUES ({string.Join(", ", names.Select(n => "$" + n))})";
        var p = names.ToDictionary(n => n, n => insert.Parameters.Add(new SqliteParameter { ParameterName = "$" + n, Value = DBNull.Value }));
        insert.Prepare();
        long count = 0;
        var inv = CultureInfo.InvariantCulture;
        foreach (var c in rows)
        {
            // As EF writes them on SQLite: Guids as upper-case text, times as text, decimals as text, enums by name.
            p["id"].Value = c.Id.ToString().ToUpperInvariant();
            p["at"].Value = c.At.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", inv);
            p["key_id"].Value = (object?)c.KeyId?.ToString().ToUpperInvariant() ?? DBNull.Value;
            p["team_id"].Value = (object?)c.TeamId?.ToString().ToUpperInvariant() ?? DBNull.Value;
            p["caller"].Value = (object?)c.Caller ?? DBNull.Value;
            p["end_user"].Value = (object?)c.EndUser ?? DBNull.Value;
            p["endpoint"].Value = c.Endpoint;
            p["model_requested"].Value = (object?)c.ModelRequested ?? DBNull.Value;
            p["model_served"].Value = (object?)c.ModelServed ?? DBNull.Value;
            p["provider_id"].Value = (object?)c.ProviderId?.ToString().ToUpperInvariant() ?? DBNull.Value;
            p["provider_name"].Value = (object?)c.ProviderName ?? DBNull.Value;
            p["route_reason"].Value = (object?)c.RouteReason ?? DBNull.Value;
            p["status"].Value = c.Status;
            p["error_class"].Value = (object?)c.ErrorClass ?? DBNull.Value;
            p["retries"].Value = c.Retries;
            p["streamed"].Value = c.Streamed ? 1 : 0;
            p["input_tokens"].Value = c.InputTokens;
            p["cached_input_tokens"].Value = c.CachedInputTokens;
            p["cache_write_input_tokens"].Value = c.CacheWriteInputTokens;
            p["output_tokens"].Value = c.OutputTokens;
            p["cost"].Value = c.Cost.ToString("0.0###########################", inv);
            p["unpriced"].Value = c.Unpriced ? 1 : 0;
            p["usage_source"].Value = c.UsageSource.ToString();
            p["time_to_first_token_ms"].Value = (object?)c.TimeToFirstTokenMs ?? DBNull.Value;
            p["latency_ms"].Value = c.LatencyMs;
            p["output_tokens_per_second"].Value = (object?)c.OutputTokensPerSecond ?? DBNull.Value;
            p["request_bytes"].Value = c.RequestBytes;
            p["response_bytes"].Value = c.ResponseBytes;
            p["count"].Value = c.Count;
            await insert.ExecuteNonQueryAsync(ct);
            count++;
        }
        await tx.CommitAsync(ct);
        return count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded {Calls} calls from {From:u} to {To:u} in {Took}")]
    private static partial void LogSeeded(ILogger logger, long calls, DateTime from, DateTime to, TimeSpan took);
}
