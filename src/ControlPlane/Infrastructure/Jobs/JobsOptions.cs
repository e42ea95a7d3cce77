using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Infrastructure.Jobs;

/// <summary>The "Jobs" section: whether this node runs jobs, and how eagerly.</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>
    /// Whether this node runs the Hangfire server (runs jobs). A node with it off still registers the recurring jobs and
    /// serves the dashboard; tests that do not exercise jobs switch it off so that every test host does not poll the database.
    /// </summary>
    public bool Server { get; set; } = true;

    [Range(1, 64, ErrorMessage = "Jobs:WorkerCount must be between 1 and 64.")]
    public int WorkerCount { get; set; } = 2;

    /// <summary>How often an idle worker asks the storage for a job (the SQLite storage's own default is slow).</summary>
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the scheduler looks for recurring jobs that are due (so a schedule fires at most this late).</summary>
    public TimeSpan SchedulePollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a job taken by a node that then died stays invisible before another node takes it again.</summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a failing job is retried before it stops and says so (the alert names the bound).</summary>
    [Range(0, 20, ErrorMessage = "Jobs:RetryAttempts must be between 0 and 20.")]
    public int RetryAttempts { get; set; } = 3;

    /// <summary>
    /// Ids of registered jobs an operator has switched off: they are not scheduled (and removed if they were). The
    /// end-to-end app pauses the jobs that would reach out to the demo's real provider hosts.
    /// </summary>
    public List<string> Paused { get; set; } = [];
}

/// <summary>The "Organisation" section: facts about the organisation that schedules and periods follow.</summary>
public sealed class OrganisationOptions
{
    public const string Section = "Organisation";

    /// <summary>An IANA time zone id (e.g. Europe/Berlin). Wallet periods start at midnight here and cron schedules read in it.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>The zone named by <see cref="TimeZone"/>; UTC when it names none (start-up validation refuses that).</summary>
    public TimeZoneInfo Zone => TryZone(TimeZone) ?? TimeZoneInfo.Utc;

    public static TimeZoneInfo? TryZone(string? id) =>
        !string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;

    public static string ValidationMessage =>
        $"{Section}:TimeZone must be an IANA time zone id such as UTC, Europe/Berlin or America/New_York.";
}
