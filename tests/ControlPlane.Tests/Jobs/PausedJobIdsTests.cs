using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Tests.Jobs;

/// <summary>Jobs:Paused is checked against the registered ids: a stale name would silently leave its job running.</summary>
public sealed class PausedJobIdsTests
{
    private static readonly ScheduledJobDefinition[] Registered =
    [
        new("providers.health", typeof(object), "*/30 * * * * *", "Provider health"),
        new("wallets.lease-sweep", typeof(object), "* * * * *", "Lease sweep"),
    ];

    [Fact]
    public void Pausing_registered_ids_is_accepted()
    {
        RecurringJobSync.CheckPaused(Registered, ["providers.health"]);
        RecurringJobSync.CheckPaused(Registered, []);
    }

    [Fact]
    public void Pausing_a_renamed_id_is_refused_with_its_new_name()
    {
        var error = Assert.Throws<InvalidOperationException>(() => RecurringJobSync.CheckPaused(Registered, ["provider-health"]));
        Assert.Equal("Jobs:Paused names 'provider-health', which is no registered job. It was renamed to 'providers.health'. "
            + "Job ids: providers.health, wallets.lease-sweep.", error.Message);
    }

    [Fact]
    public void Pausing_an_unknown_id_is_refused_with_the_ids_there_are()
    {
        var error = Assert.Throws<InvalidOperationException>(() => RecurringJobSync.CheckPaused(Registered, ["wallets.sweep"]));
        Assert.Equal("Jobs:Paused names 'wallets.sweep', which is no registered job. Job ids: providers.health, wallets.lease-sweep.", error.Message);
    }
}
