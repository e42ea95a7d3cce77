using Microsoft.Data.SqlClient;

namespace ControlPlane.Infrastructure.Live;

/// <summary>
/// SQL Server has no LISTEN/NOTIFY: a message is a row of cluster_events stamped with the database's clock, and each
/// node reads the rows newer than what it has seen every Live:SqlServerPollMilliseconds. It re-reads a few seconds
/// back (and skips row ids it has handled) so that a row committed late with an earlier stamp is not missed. Rows
/// older than a few minutes are deleted by whichever node gets there.
/// </summary>
internal sealed partial class SqlServerClusterChannel(string connectionString, ClusterNode node, LiveOptions options, TimeProvider clock,
    ILogger<SqlServerClusterChannel> logger) : IClusterChannel
{
    private static readonly TimeSpan Lookback = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);

    public async Task SendAsync(string message, CancellationToken ct)
    {
        await using var connection = new SqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var insert = new SqlCommand(
            "INSERT INTO cluster_events (id, at, node, payload) VALUES (@id, SYSUTCDATETIME(), @node, @payload)", connection);
        insert.Parameters.AddWithValue("@id", Guid.NewGuid());
        insert.Parameters.AddWithValue("@node", node.Id);
        insert.Parameters.AddWithValue("@payload", message);
        await insert.ExecuteNonQueryAsync(ct);
    }

    public async Task ListenAsync(Action<string> onMessage, Action onResumed, CancellationToken ct)
    {
        var delay = new ReconnectDelay(TimeSpan.FromSeconds(options.ReconnectMaxSeconds));
        var interval = TimeSpan.FromMilliseconds(options.SqlServerPollMilliseconds);
        var seen = new Dictionary<Guid, DateTime>();
        DateTime? cursor = null;
        var missedSome = false;
        var lastPrune = clock.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new SqlConnection(connectionString);
                await connection.OpenAsync(ct);
                if (cursor is null)
                {
                    // What was written before this node started is not news: marked as seen within the look-back, not delivered.
                    cursor = await DatabaseNowAsync(connection, ct);
                    cursor = await ReadNewAsync(connection, cursor.Value, seen, onMessage: null, ct);
                }
                cursor = await ReadNewAsync(connection, cursor.Value, seen, onMessage, ct);
                if (clock.GetElapsedTime(lastPrune) >= PruneEvery)
                {
                    await using var prune = new SqlCommand("DELETE FROM cluster_events WHERE at < DATEADD(minute, -5, SYSUTCDATETIME())", connection);
                    await prune.ExecuteNonQueryAsync(ct);
                    lastPrune = clock.GetTimestamp();
                }
                delay.Reset();
                if (missedSome)
                {
                    missedSome = false;
                    onResumed();
                }
                await Task.Delay(interval, clock, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                missedSome = true;
                var wait = delay.Next();
                LogPollFailed(logger, ex, wait.TotalMilliseconds);
                try
                {
                    await Task.Delay(wait, clock, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static async Task<DateTime> DatabaseNowAsync(SqlConnection connection, CancellationToken ct)
    {
        await using var now = new SqlCommand("SELECT SYSUTCDATETIME()", connection);
        return (DateTime)(await now.ExecuteScalarAsync(ct))!;
    }

    private async Task<DateTime> ReadNewAsync(SqlConnection connection, DateTime cursor, Dictionary<Guid, DateTime> seen, Action<string>? onMessage, CancellationToken ct)
    {
        await using var read = new SqlCommand("SELECT id, at, payload FROM cluster_events WHERE at > @since AND node <> @node ORDER BY at", connection);
        read.Parameters.Add("@since", System.Data.SqlDbType.DateTime2).Value = cursor - Lookback;
        read.Parameters.AddWithValue("@node", node.Id);
        var newest = cursor;
        await using (var rows = await read.ExecuteReaderAsync(ct))
            while (await rows.ReadAsync(ct))
            {
                var (id, at) = (rows.GetGuid(0), rows.GetDateTime(1));
                if (at > newest) newest = at;
                if (!seen.TryAdd(id, at)) continue;
                onMessage?.Invoke(rows.GetString(2));
            }
        foreach (var (id, at) in seen)
            if (at < newest - Lookback - Lookback) seen.Remove(id);
        return newest;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading other nodes' events from SQL Server failed; trying again in {DelayMs} ms")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, double delayMs);
}
