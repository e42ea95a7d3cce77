using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Tests.Infrastructure;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ControlPlane.Tests.Jobs;

/// <summary>
/// No trigger: two app nodes with job servers on one PostgreSQL, a recurring job on a one-minute cron, and Hangfire's
/// own scheduler left to fire it (polling every half second, so an occurrence is taken within a second of its minute).
/// Each occurrence runs exactly once in the cluster, on whichever node took it. About two minutes: two occurrences.
/// </summary>
public sealed class ScheduleFiresOnItsOwnTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly JobProbe _probe = new();
    private TestDatabase _database = default!;
    private readonly List<AppFactory> _nodes = [];

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await _database.DisposeAsync();
    }

    private AppFactory Node(string name)
    {
        var node = new AppFactory(_database, seedDemoData: false, settings: new Dictionary<string, string?>
        {
            ["Jobs:Server"] = "true",
            ["Jobs:QueuePollInterval"] = "00:00:00.200",
            ["Jobs:SchedulePollInterval"] = "00:00:00.500",
            ["Organisation:TimeZone"] = "America/New_York",
        })
        {
            TestServices = services =>
            {
                services.AddSingleton(_probe);
                services.AddSingleton(new NodeName(name));
                services.AddScheduledJob<EveryMinuteJob>(EveryMinuteJob.Id, "* * * * *", "Test: every minute");
            },
        };
        _nodes.Add(node);
        _ = node.Server;
        return node;
    }

    [DatabaseFact]
    public async Task A_one_minute_schedule_fires_by_itself_once_per_occurrence_with_two_nodes()
    {
        var a = Node("A");
        Node("B");
        var storage = a.Services.GetRequiredService<JobStorage>();
        // Two occurrences at most 60 s apart, the first at most 60 s away: 150 s is enough on a loaded machine.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        while (storage.GetMonitoringApi().Servers().Count < 2)
        {
            Assert.False(timeout.IsCancellationRequested, "both nodes' job servers to announce themselves");
            await Task.Delay(100);
        }
        while (_probe.Scheduled.Select(r => r.Minute).Distinct().Count() < 2)
        {
            Assert.False(timeout.IsCancellationRequested, $"the schedule fired {_probe.Scheduled.Count} time(s) in 150 s");
            await Task.Delay(250);
        }
        // Long enough for a second node's duplicate of the last occurrence to have shown up, if there were one.
        await Task.Delay(TimeSpan.FromSeconds(3));

        var runs = _probe.Scheduled.ToList();
        output.WriteLine(string.Join(Environment.NewLine, runs.Select(r => $"{r.Minute:HH:mm} on {r.Node}")));
        foreach (var occurrence in runs.GroupBy(r => r.Minute))
            Assert.True(occurrence.Count() == 1, $"the occurrence of {occurrence.Key:HH:mm} ran {occurrence.Count()} times");
        var minutes = runs.Select(r => r.Minute).Order().ToList();
        Assert.True(minutes.Count >= 2 && minutes[^1] - minutes[^2] == TimeSpan.FromMinutes(1), "consecutive minutes");
    }
}
