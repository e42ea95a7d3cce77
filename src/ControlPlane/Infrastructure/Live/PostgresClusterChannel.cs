using Npgsql;

namespace ControlPlane.Infrastructure.Live;

/// <summary>
/// PostgreSQL's LISTEN/NOTIFY: messages go out with pg_notify on a pooled connection and come in on one dedicated
/// connection of their own (not pooled, kept alive by Npgsql's keepalive so a dead link is noticed while idle). When
/// that connection is lost (the database restarted, the backend was terminated, the network went) it is opened again
/// after a growing pause, and the bus is told that messages may have been missed.
/// </summary>
internal sealed partial class PostgresClusterChannel(string connectionString, ClusterNode node, LiveOptions options, TimeProvider clock,
    ILogger<PostgresClusterChannel> logger) : IClusterChannel
{
    public const string ChannelName = "controlplane_events";

    /// <summary>The listening connection's application_name, so operators (and tests) can tell it apart.</summary>
    public static string ApplicationName(string nodeId) => $"cp-live {nodeId}"[..Math.Min(63, nodeId.Length + 8)];

    private readonly string _listenConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
    {
        Pooling = false,
        KeepAlive = 5,
        ApplicationName = ApplicationName(node.Id),
    }.ConnectionString;

    public async Task SendAsync(string message, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @message)", connection);
        notify.Parameters.AddWithValue("channel", ChannelName);
        notify.Parameters.AddWithValue("message", message);
        await notify.ExecuteNonQueryAsync(ct);
    }

    public async Task ListenAsync(Action<string> onMessage, Action onResumed, CancellationToken ct)
    {
        var delay = new ReconnectDelay(TimeSpan.FromSeconds(options.ReconnectMaxSeconds));
        var missedSome = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_listenConnectionString);
                await connection.OpenAsync(ct);
                connection.Notification += (_, e) => onMessage(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {ChannelName}", connection))
                    await listen.ExecuteNonQueryAsync(ct);
                delay.Reset();
                if (missedSome)
                {
                    missedSome = false;
                    onResumed();
                }
                while (true) await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                missedSome = true;
                var wait = delay.Next();
                LogListenLost(logger, ex, wait.TotalMilliseconds);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for other nodes' events on PostgreSQL failed; trying again in {DelayMs} ms")]
    private static partial void LogListenLost(ILogger logger, Exception exception, double delayMs);
}
