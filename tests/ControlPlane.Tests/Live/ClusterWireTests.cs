using System.Text;
using ControlPlane.Infrastructure.Live;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Live;

/// <summary>The wire between nodes: events packed into as few messages as fit PostgreSQL's NOTIFY limit, read back whole.</summary>
public sealed class ClusterWireTests
{
    private static readonly ClusterEventType TickType = new ServiceCollection().AddClusterEvent<SpendTick>("spend.tick")
        .BuildServiceProvider().GetRequiredService<ClusterEventType>();

    [Fact]
    public void A_burst_of_ticks_is_packed_into_messages_under_the_limit_and_read_back_in_order()
    {
        var ticks = Enumerable.Range(1, 500).Select(i => new SpendTick(Guid.NewGuid(), Guid.NewGuid(), i, 0, i * 0.001m, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc))).ToList();
        var tooLarge = new List<ClusterWire.Item>();

        var messages = ClusterWire.Pack("node-a", ticks.Select(t => ClusterWire.ItemOf(TickType, t)), tooLarge);

        Assert.Empty(tooLarge);
        Assert.True(messages.Count > 1, "500 ticks do not fit one NOTIFY");
        Assert.All(messages, m => Assert.True(Encoding.UTF8.GetByteCount(m) <= ClusterWire.MaxBytes, $"{Encoding.UTF8.GetByteCount(m)} bytes"));
        var read = messages.Select(m => ClusterWire.Read(m)!).ToList();
        Assert.All(read, e => Assert.Equal("node-a", e.Node));
        var back = read.SelectMany(e => e.Events).Select(i => System.Text.Json.JsonSerializer.Deserialize<SpendTick>(i.Payload, ClusterWire.Json)!).ToList();
        Assert.Equal(ticks, back);
    }

    [Fact]
    public void An_event_too_large_for_one_message_is_set_aside_and_the_others_still_go()
    {
        var big = new ClusterWire.Item("huge", System.Text.Json.JsonSerializer.SerializeToElement(new string('x', ClusterWire.MaxBytes)));
        var small = ClusterWire.ItemOf(TickType, new SpendTick(null, null, 1, 1, 0m, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        var tooLarge = new List<ClusterWire.Item>();

        var messages = ClusterWire.Pack("node-a", [big, small], tooLarge);

        Assert.Equal("huge", Assert.Single(tooLarge).Type);
        Assert.Equal("spend.tick", Assert.Single(Assert.Single(messages.Select(m => ClusterWire.Read(m)!)).Events).Type);
    }
}
