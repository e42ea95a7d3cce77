namespace ControlPlane.Features.Notifications;

/// <summary>
/// The alerts sink until channels are configured: each alert is written to the log (subject and kind, never the
/// facts), so nothing raised is silently dropped. The notifications feature replaces this registration.
/// </summary>
public sealed partial class LoggedAlerts(ILogger<LoggedAlerts> logger) : IAlerts
{
    public Task RaiseAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        LogAlert(logger, alert.Kind, alert.Severity, alert.Subject);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Kind} ({Severity}): {Subject}")]
    private static partial void LogAlert(ILogger logger, string kind, AlertSeverity severity, string subject);
}
