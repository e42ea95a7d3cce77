using ControlPlane.Features.Notifications;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>The alerts the app raised, in order, for a test to read (channels, dedup and deliveries are the notifications' own tests).</summary>
public sealed class RecordingAlerts : IAlerts
{
    private readonly List<Alert> _raised = [];

    public IReadOnlyList<Alert> Raised
    {
        get { lock (_raised) return [.. _raised]; }
    }

    public Task RaiseAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        lock (_raised) _raised.Add(alert);
        return Task.CompletedTask;
    }
}
