using System.Text.Json;

namespace ControlPlane.Infrastructure.Live;

/// <summary>
/// An in-process event type that also crosses nodes, under a stable wire name (the CLR name may change; the wire name
/// may not, or nodes of two versions stop understanding each other). Registered with
/// <see cref="ClusterEventRegistration.AddClusterEvent{T}"/>; every other event stays on its node.
/// </summary>
public sealed class ClusterEventType
{
    internal ClusterEventType(string name, Type type, Func<EventBus, Action<object>, IDisposable> subscribe,
        Action<EventBus, JsonElement> publishLocally, Action<EventBus>? publishMaybeMissed)
    {
        Name = name;
        Type = type;
        Subscribe = subscribe;
        PublishLocally = publishLocally;
        PublishMaybeMissed = publishMaybeMissed;
    }

    public string Name { get; }
    public Type Type { get; }
    internal Func<EventBus, Action<object>, IDisposable> Subscribe { get; }
    internal Action<EventBus, JsonElement> PublishLocally { get; }
    /// <summary>What to publish on this node after its channel to the others was down: events may have been missed.</summary>
    internal Action<EventBus>? PublishMaybeMissed { get; }
}

public static class ClusterEventRegistration
{
    /// <summary>
    /// Carries <typeparamref name="T"/> to every other node under <paramref name="wireName"/>. <paramref name="maybeMissed"/>:
    /// the event a node publishes to itself when its channel comes back after a loss (e.g. "keys changed" so its
    /// caches reload), since whatever the others sent meanwhile is gone.
    /// </summary>
    public static IServiceCollection AddClusterEvent<T>(this IServiceCollection services, string wireName, Func<T>? maybeMissed = null)
        where T : class =>
        services.AddSingleton(new ClusterEventType(wireName, typeof(T),
            (bus, send) => bus.Subscribe<T>(e => send(e)),
            (bus, payload) => bus.Publish(payload.Deserialize<T>(ClusterWire.Json) ?? throw new JsonException($"{wireName}: null payload")),
            maybeMissed is null ? null : bus => bus.Publish(maybeMissed())));
}
