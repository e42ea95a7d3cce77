namespace ControlPlane.Features.Metering;

/// <summary>The time ranges the Calls page offers; the relative ones count back from now.</summary>
public enum CallRange
{
    LastHour,
    LastDay,
    LastWeek,
    Custom,
}

/// <summary>A team the Calls page can filter by, named by its path from the top (e.g. "Engineering / Platform").</summary>
public sealed record TeamChoice(Guid Id, string Path);
