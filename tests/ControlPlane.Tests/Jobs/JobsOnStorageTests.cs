using ControlPlane.Features.Notifications;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Tests.Infrastructure;
using Hangfire;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Jobs;

/// <summary>
/// Hangfire's real server on its real storage (SQLite beside EF's SQLite file, or PostgreSQL), with two app nodes on
/// one database: registered jobs become recurring jobs in the organisation's time zone, a run happens once per
/// cluster, and a job interrupted by its node stopping runs again elsewhere with its effect happening once.
/// </summary>
public abstract class JobsOnStorageTests(DatabaseProvider provider) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly JobProbe _probe = new();
    private readonly RecordingAlerts _alerts = new();
    private TestDatabase _database = default!;
    private readonly List<AppFactory> _nodes = [];

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(provider);

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await _database.DisposeAsync();
    }

    private AppFactory Node(string name, string? paused = null, int retryAttempts = 3)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Jobs:Server"] = "true",
            ["Jobs:QueuePollInterval"] = "00:00:00.200",
            ["Organisation:TimeZone"] = "Asia/Kolkata",
            ["Jobs:RetryAttempts"] = retryAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (paused is not null) settings["Jobs:Paused:0"] = paused;
        var node = new AppFactory(_database, seedDemoData: false, settings: settings)
        {
            TestServices = services =>
            {
                services.AddSingleton(_probe);
                services.AddSingleton(new NodeName(name));
                services.AddSingleton<IAlerts>(_alerts);
                // Yearly schedules: these run only when triggered, so a test decides when.
                services.AddScheduledJob<CountingJob>(CountingJob.Id, "0 0 1 1 *", "Test: count runs");
                services.AddScheduledJob<InterruptedResetJob>(InterruptedResetJob.Id, "0 0 1 1 *", "Test: reset, then die");
                services.AddScheduledJob<FailingJob>(FailingJob.Id, "0 0 1 1 *", "Test: always fails");
            },
        };
        _nodes.Add(node);
        _ = node.Server; // start: migrations, then the job server
        return node;
    }

    private static async Task<T> WithinPatience<T>(Task<T> task, string what) =>
        await task.WaitAsync(Patience).ContinueWith(t => t.IsFaulted ? throw new TimeoutException($"Waited in vain for {what}.", t.Exception) : t.Result);

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            if (timeout.IsCancellationRequested) throw new TimeoutException($"Waited in vain for {what}.");
            await Task.Delay(100);
        }
    }

    [DatabaseFact]
    public void Every_registered_job_is_a_recurring_job_in_the_organisations_time_zone()
    {
        var node = Node("A");
        using var connection = node.Services.GetRequiredService<JobStorage>().GetConnection();
        var recurring = connection.GetRecurringJobs();

        foreach (var id in new[] { WalletPeriodReset.JobId, LeaseSweep.JobId, "transfers.expiry", "payloads.retention", "rollups.compaction", "audit.anchor", "audit.verify", CountingJob.Id })
        {
            var job = Assert.Single(recurring, j => j.Id == id);
            Assert.Equal("Asia/Kolkata", job.TimeZoneId);
        }
        Assert.Equal("*/5 * * * *", recurring.Single(j => j.Id == WalletPeriodReset.JobId).Cron);
    }

    [DatabaseFact]
    public void Every_job_id_is_its_area_and_its_name_in_kebab_case()
    {
        var ids = Node("A").Services.GetServices<ScheduledJobDefinition>().Select(d => d.Id).ToList();
        Assert.True(ids.Count >= 14, $"only {ids.Count} jobs registered");
        Assert.All(ids, id => Assert.Matches(@"^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [DatabaseFact]
    public void A_paused_job_is_not_scheduled_and_the_others_are()
    {
        var node = Node("A", paused: CountingJob.Id);
        using var connection = node.Services.GetRequiredService<JobStorage>().GetConnection();
        var recurring = connection.GetRecurringJobs();

        Assert.DoesNotContain(recurring, j => j.Id == CountingJob.Id);
        Assert.Contains(recurring, j => j.Id == WalletPeriodReset.JobId);
    }

    [DatabaseFact]
    public void Recurring_jobs_under_ids_no_longer_registered_are_removed_when_a_node_starts()
    {
        // A database from before the ids were renamed holds the old names (and each would fail at every run).
        var old = Node("A");
        var manager = old.Services.GetRequiredService<IRecurringJobManager>();
        foreach (var id in RecurringJobSync.Renamed.Keys)
            manager.AddOrUpdate(id, Hangfire.Common.Job.FromExpression<ScheduledJobRunner>(r => r.RunAsync(id, CancellationToken.None)), "0 0 1 1 *", new RecurringJobOptions());
        using (var connection = old.Services.GetRequiredService<JobStorage>().GetConnection())
            Assert.All(RecurringJobSync.Renamed.Keys, id => Assert.Contains(connection.GetRecurringJobs(), j => j.Id == id));

        var upgraded = Node("B");
        using var after = upgraded.Services.GetRequiredService<JobStorage>().GetConnection();
        var recurring = after.GetRecurringJobs();
        Assert.All(RecurringJobSync.Renamed.Keys, id => Assert.DoesNotContain(recurring, j => j.Id == id));
        Assert.All(RecurringJobSync.Renamed.Values, id => Assert.Contains(recurring, j => j.Id == id));
    }

    [DatabaseFact]
    public async Task A_failing_job_raises_a_warning_while_it_will_be_retried()
    {
        var node = Node("A", retryAttempts: 1);
        node.Services.GetRequiredService<IRecurringJobManager>().Trigger(FailingJob.Id);

        await UntilAsync(() => _alerts.Raised.Any(a => a.Kind == AlertKinds.JobFailing), "the job-failing alert");
        var alert = Assert.Single(_alerts.Raised, a => a.Kind == AlertKinds.JobFailing);
        Assert.Equal(AlertSeverity.Warning, alert.Severity);
        Assert.Equal($"Job {FailingJob.Id} failed; retrying", alert.Subject);
    }

    [DatabaseFact]
    public async Task A_job_out_of_retries_stops_and_a_critical_alert_says_so_with_its_error()
    {
        var node = Node("A", retryAttempts: 0);
        node.Services.GetRequiredService<IRecurringJobManager>().Trigger(FailingJob.Id);

        await UntilAsync(() => _alerts.Raised.Any(a => a.Kind == AlertKinds.JobFailing), "the job-failing alert");
        var alert = Assert.Single(_alerts.Raised, a => a.Kind == AlertKinds.JobFailing);
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Equal($"Job {FailingJob.Id} failed and stopped retrying", alert.Subject);
        Assert.Contains(FailingJob.Error, alert.Body, StringComparison.Ordinal);
        await UntilAsync(() => node.Services.GetRequiredService<JobStorage>().GetMonitoringApi().FailedCount() == 1, "the run to be recorded as failed");
        Assert.Single(_probe.Runs);
    }

    [DatabaseFact]
    public async Task A_recurring_job_runs_once_with_two_nodes_on_one_database()
    {
        var a = Node("A");
        var b = Node("B");
        var storage = a.Services.GetRequiredService<JobStorage>();

        b.Services.GetRequiredService<IRecurringJobManager>().Trigger(CountingJob.Id);
        await WithinPatience(_probe.Finished.Task, "the counting job to run");
        await UntilAsync(() => storage.GetMonitoringApi().SucceededListCount() >= 1, "the run to be recorded as succeeded");

        Assert.Single(_probe.Runs);
        Assert.Equal(0, storage.GetMonitoringApi().EnqueuedCount("default"));
    }

    [DatabaseFact]
    public async Task A_job_whose_node_stops_mid_run_runs_again_on_the_other_node_and_its_effect_happens_once()
    {
        var a = Node("A");
        var b = Node("B");
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        var now = DateTime.UtcNow;
        var lastPeriod = WalletPeriods.StartOf(WalletPeriods.Daily, now.AddDays(-1), zone);
        Guid wallet;
        await using (var db = a.OpenDb())
        {
            var w = new Wallet
            {
                Id = Guid.CreateVersion7(), Name = "Interrupted", OwnerKind = WalletOwners.Team, OwnerId = Guid.NewGuid(), Period = WalletPeriods.Daily,
                Limit = 10m, Thresholds = WalletRules.DefaultThresholds, ExhaustionPolicy = ExhaustionPolicies.Block, PeriodStart = lastPeriod, Spent = 4m, CreatedAt = lastPeriod,
            };
            db.Wallets.Add(w);
            await db.SaveChangesAsync();
            wallet = w.Id;
        }

        a.Services.GetRequiredService<IRecurringJobManager>().Trigger(InterruptedResetJob.Id);
        var holder = await WithinPatience(_probe.FirstAttemptHolding.Task, "the first attempt to reset and hold");
        var dying = holder == "A" ? a : b;
        var survivor = holder == "A" ? b : a;
        await dying.DisposeAsync(); // the node stops with the job half done: Hangfire gives it back to the queue
        _nodes.Remove(dying);

        var finisher = await WithinPatience(_probe.Finished.Task, "the job to run again and finish");
        Assert.NotEqual(holder, finisher);
        Assert.Equal(2, _probe.Runs.Count);
        await using var check = survivor.OpenDb();
        var resets = await check.LedgerEntries.AsNoTracking().Where(e => e.WalletId == wallet && e.Kind == LedgerKinds.Reset).ToListAsync();
        Assert.Equal(-4m, Assert.Single(resets).Amount);
        Assert.Equal(WalletPeriods.StartOf(WalletPeriods.Daily, now, zone), (await check.Wallets.AsNoTracking().SingleAsync(w => w.Id == wallet)).PeriodStart);
    }
}

/// <summary>Hangfire's SQLite storage (its own native SQLite, its own file) and EF's SQLite in one process, jobs writing through EF.</summary>
public sealed class JobsOnStorageTests_on_Sqlite() : JobsOnStorageTests(DatabaseProvider.Sqlite);

public sealed class JobsOnStorageTests_on_Postgres() : JobsOnStorageTests(DatabaseProvider.Postgres);
