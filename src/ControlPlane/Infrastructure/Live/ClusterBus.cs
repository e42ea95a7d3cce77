using System.Text.Json;
using System.Threading.Channels;

namespace ControlPlane.Infrastructure.Live;

/// <summary>
/// Carries the registered <see cref="ClusterEventType"/>s between this node's <see cref="EventBus"/> and the other
/// nodes': what is published here is sent (batched) through the database's channel; what another node sent is
/// published here, marked as from a peer so it is not sent back out. A node ignores its own echo by its
/// <see cref="NodeId"/>. Nothing here is needed for correctness: caches still refresh on their timers, this makes them
/// follow within a second. Without a channel (SQLite, one node) it does nothing.
/// </summary>
internal sealed partial class ClusterBus(EventBus events, IEnumerable<ClusterEventType> types, IClusterChannel? channel, ClusterNode node,
    ILogger<ClusterBus> logger) : BackgroundService
{
    private const int Capacity = 10_000;

    [ThreadStatic] private static bool t_fromPeer;

    private readonly Dictionary<string, ClusterEventType> _byName = types.ToDictionary(t => t.Name, StringComparer.Ordinal);
    private readonly Channel<ClusterWire.Item> _outbound = Channel.CreateBounded<ClusterWire.Item>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public string NodeId => node.Id;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (channel is null) return;
        var subscriptions = _byName.Values.Select(type => type.Subscribe(events, e =>
        {
            if (!t_fromPeer) _outbound.Writer.TryWrite(ClusterWire.ItemOf(type, e));
        })).ToList();
        try
        {
            await Task.WhenAll(SendLoopAsync(channel, stoppingToken), channel.ListenAsync(Receive, PublishMaybeMissed, stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var s in subscriptions) s.Dispose();
        }
    }

    private async Task SendLoopAsync(IClusterChannel to, CancellationToken ct)
    {
        var reader = _outbound.Reader;
        var batch = new List<ClusterWire.Item>();
        while (await reader.WaitToReadAsync(ct))
        {
            batch.Clear();
            while (batch.Count < 500 && reader.TryRead(out var item)) batch.Add(item);
            var tooLarge = new List<ClusterWire.Item>();
            foreach (var message in ClusterWire.Pack(node.Id, batch, tooLarge))
            {
                try
                {
                    await to.SendAsync(message, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // The others catch up on their timers (and publish "maybe missed" when their own channel comes back).
                    LogSendFailed(logger, ex);
                }
            }
            foreach (var item in tooLarge) LogTooLarge(logger, item.Type);
        }
    }

    private void Receive(string message)
    {
        ClusterWire.Envelope? envelope;
        try
        {
            envelope = ClusterWire.Read(message);
        }
        catch (JsonException ex)
        {
            LogUnreadable(logger, ex);
            return;
        }
        if (envelope is null || envelope.Node == node.Id) return;
        foreach (var item in envelope.Events)
        {
            // A newer node may send events this one does not know yet: ignored, as on a node of that version's peers.
            if (!_byName.TryGetValue(item.Type, out var type)) continue;
            try
            {
                t_fromPeer = true;
                type.PublishLocally(events, item.Payload);
            }
            catch (JsonException ex)
            {
                LogUnreadable(logger, ex);
            }
            finally
            {
                t_fromPeer = false;
            }
        }
    }

    private void PublishMaybeMissed()
    {
        LogResumed(logger);
        foreach (var type in _byName.Values)
        {
            if (type.PublishMaybeMissed is null) continue;
            try
            {
                t_fromPeer = true;
                type.PublishMaybeMissed(events);
            }
            finally
            {
                t_fromPeer = false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending events to the other nodes failed; they catch up on their refresh timers")]
    private static partial void LogSendFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Event} event is too large to cross nodes and stays on this node")]
    private static partial void LogTooLarge(ILogger logger, string @event);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message from another node could not be read and was dropped")]
    private static partial void LogUnreadable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The channel to the other nodes is back; caches reload in case events were missed")]
    private static partial void LogResumed(ILogger logger);
}

/// <summary>This process's name among the nodes: the machine and a random part, new on every start.</summary>
public sealed class ClusterNode
{
    public string Id { get; } = $"{Truncate(Environment.MachineName, 24)}-{Guid.NewGuid():N}";

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
