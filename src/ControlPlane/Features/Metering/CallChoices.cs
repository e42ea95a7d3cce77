namespace ControlPlane.Features.Metering;

/// <summary>The time ranges the Requests page offers; the relative ones count back from now.</summary>
public enum CallRange
{
    LastHour,
    LastDay,
    LastWeek,
    Custom,
    All,
}

/// <summary>A team the Requests page can filter by, named by its path from the top (e.g. "Engineering / Platform").</summary>
public sealed record TeamChoice(Guid Id, string Path);

/// <summary>A key the Requests page can filter by.</summary>
public sealed record KeyChoice(Guid Id, string Label);
