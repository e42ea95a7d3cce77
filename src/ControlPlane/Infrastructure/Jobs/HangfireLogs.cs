using Hangfire.Logging;
using HangfireLevel = Hangfire.Logging.LogLevel;
using MsLevel = Microsoft.Extensions.Logging.LogLevel;

namespace ControlPlane.Infrastructure.Jobs;

/// <summary>
/// Hangfire logs through one process-wide provider (static), while each app host has its own ILoggerFactory. Hangfire's
/// own AspNetCore provider pins the first host's factory, which breaks every host started after that one stops (the
/// tests start many). This one follows the newest host's factory and drops a message when that factory is gone.
/// </summary>
internal sealed class HangfireLogs : ILogProvider
{
    private static readonly HangfireLogs Instance = new();
    private static volatile ILoggerFactory? _factory;

    public static ILogProvider Use(ILoggerFactory factory)
    {
        _factory = factory;
        LogProvider.SetCurrentLogProvider(Instance);
        return Instance;
    }

    public ILog GetLogger(string name) => new ForwardingLog(name);

    private sealed class ForwardingLog(string name) : ILog
    {
        public bool Log(HangfireLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                if (_factory?.CreateLogger(name) is not { } logger) return false;
                var level = logLevel switch
                {
                    HangfireLevel.Trace => MsLevel.Trace,
                    HangfireLevel.Debug => MsLevel.Debug,
                    HangfireLevel.Info => MsLevel.Information,
                    HangfireLevel.Warn => MsLevel.Warning,
                    HangfireLevel.Error => MsLevel.Error,
                    _ => MsLevel.Critical,
                };
                if (messageFunc is null) return logger.IsEnabled(level);
#pragma warning disable CA1848, CA2254, CA1873 // Hangfire hands over finished messages; there is no template to cache
                logger.Log(level, exception, messageFunc());
#pragma warning restore CA1848, CA2254, CA1873
                return true;
            }
            catch (ObjectDisposedException)
            {
                return false; // the host whose logging this was has stopped
            }
        }
    }
}
