using System.Collections.Concurrent;

namespace ControlPlane.Infrastructure.Live;

/// <summary>
/// In-process events (a key revoked, the catalogue changed, a spend tick). Handlers run on the publisher's thread
/// and must be quick; a failing handler is logged and does not stop the others.
/// </summary>
public sealed partial class EventBus(ILogger<EventBus> logger)
{
    private readonly ConcurrentDictionary<Type, ImmutableHandlers> _handlers = new();

    public IDisposable Subscribe<T>(Action<T> handler)
    {
        _handlers.AddOrUpdate(typeof(T), _ => new ImmutableHandlers([handler]), (_, h) => h.With(handler));
        return new Subscription(() => _handlers.AddOrUpdate(typeof(T), _ => new ImmutableHandlers([]), (_, h) => h.Without(handler)));
    }

    public void Publish<T>(T message)
    {
        if (!_handlers.TryGetValue(typeof(T), out var handlers)) return;
        foreach (var handler in handlers.Items)
        {
            try
            {
                ((Action<T>)handler)(message);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(logger, ex, typeof(T).Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A handler of {Event} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string @event);

    private sealed record ImmutableHandlers(Delegate[] Items)
    {
        public ImmutableHandlers With(Delegate d) => new([.. Items, d]);
        public ImmutableHandlers Without(Delegate d) => new([.. Items.Where(x => !x.Equals(d))]);
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) dispose();
        }
    }
}

/// <summary>Keys were created or revoked: key snapshots reload.</summary>
public sealed record KeysChanged;

/// <summary>A team's settings changed (e.g. what the gateway keeps of its calls).</summary>
public sealed record TeamSettingsChanged(Guid TeamId);

/// <summary>Providers, models or prices changed: the gateway's catalogue reloads.</summary>
public sealed record CatalogueChanged;

/// <summary>
/// Calls of one team and key were settled and written (one batch of the call log): how many, how many failed, what they
/// cost, and the latest call's time. The Overview's ticker moves on it; the cluster bus carries it to the other nodes
/// and /hubs/spend to clients outside the app.
/// </summary>
public sealed record SpendTick(Guid? TeamId, Guid? KeyId, int Calls, int Errors, decimal Cost, DateTime At);

public static class LiveSetup
{
    public static WebApplicationBuilder AddEventBus(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventBus>();
        return builder;
    }
}
