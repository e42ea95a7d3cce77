using ControlPlane.Features.Notifications;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Notifications;

/// <summary>A clock the test moves by hand (retries, backoff and dedup windows without waiting).</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private long _ticks = now.UtcTicks;
    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>
/// The real app on a fresh database, its clock in the test's hand, deliveries polled often, and no notification
/// settings but the test's own (the demo's channels and subscriptions are removed).
/// </summary>
public class NotificationsApp(DatabaseProvider provider) : IAsyncLifetime
{
    public static readonly Actor Finance = new(null, "finance@test.example", Roles.FinanceAdmin);
    public static readonly Actor Admin = new(null, "admin@test.example", Roles.Admin);

    public ManualClock Clock { get; } = new(DateTimeOffset.UtcNow);
    public const string SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    /// <summary>The transfers feature as the Slack app sees it: records what it was asked, answers as told.</summary>
    public RecordingDesk Desk { get; } = new();
    public AppFactory App { get; private set; } = default!;
    /// <summary>Host names resolve from the app's table only (AppFactory): nothing is looked up outside the machine.</summary>
    public TableResolver Resolver => App.Resolver;

    public static readonly TimeSpan Backoff = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DedupWindow = TimeSpan.FromHours(1);

    public async Task InitializeAsync()
    {
        App = new AppFactory(await TestDatabase.CreateAsync(provider), settings: new Dictionary<string, string?>
        {
            ["Notifications:PollInterval"] = "00:00:00.100",
            ["Notifications:RetryBackoff"] = Backoff.ToString(),
            ["Notifications:DedupWindow"] = DedupWindow.ToString(),
            ["Notifications:MaxAttempts"] = "3",
            ["Notifications:PublicBaseUrl"] = "https://ai.example.com",
            ["Notifications:SlackSigningSecret"] = SlackSecret,
            // The tests' own listeners on 127.0.0.1, allowed as the gateway tests allow their upstreams; all else follows the rule.
            ["Gateway:AllowedProviderAddresses:0"] = "127.0.0.1",
        })
        {
            TestServices = s =>
            {
                s.AddSingleton<TimeProvider>(Clock);
                s.AddSingleton<ITransferDesk>(Desk);
            },
        };
        _ = App.Server;
        await using var db = App.OpenDb();
        await db.Set<NotificationChannel>().ExecuteDeleteAsync(); // cascades to the demo's subscriptions, ladders and log
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await App.Database.DisposeAsync();
    }

    public Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> use) => App.WithScopeAsync(use);

    public Task<Guid> TeamAsync(string name) => WithScopeAsync(async sp =>
    {
        var team = await sp.GetRequiredService<TeamDirectory>().CreateAsync(Admin, name, null);
        Assert.True(team.Succeeded, team.Error);
        return team.Value!.Id;
    });

    public Task<Guid> ChannelAsync(ChannelForm form) => WithScopeAsync(async sp =>
    {
        var saved = await sp.GetRequiredService<NotificationSettings>().SaveChannelAsync(Finance, null, form);
        Assert.True(saved.Succeeded, saved.Error);
        return saved.Value!.Id;
    });

    public Task<Guid> SubscribeAsync(SubscriptionForm form) => WithScopeAsync(async sp =>
    {
        var saved = await sp.GetRequiredService<NotificationSettings>().AddSubscriptionAsync(Finance, form);
        Assert.True(saved.Succeeded, saved.Error);
        return saved.Value!.Id;
    });

    public async Task RaiseAsync(Alert alert) => await App.Services.GetRequiredService<IAlerts>().RaiseAsync(alert);

    public async Task<List<NotificationDelivery>> DeliveriesAsync(Guid channelId)
    {
        await using var db = App.OpenDb();
        return await db.Set<NotificationDelivery>().AsNoTracking().Where(d => d.ChannelId == channelId).OrderBy(d => d.CreatedAt).ToListAsync();
    }

    /// <summary>Polls until the channel's deliveries satisfy <paramref name="condition"/> (the limit only ends a hanging test).</summary>
    public async Task<List<NotificationDelivery>> UntilAsync(Guid channelId, Func<List<NotificationDelivery>, bool> condition, string what)
    {
        for (var i = 0; i < 600; i++)
        {
            var rows = await DeliveriesAsync(channelId);
            if (condition(rows)) return rows;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Still not true after 60 s: {what}");
    }
}

public sealed class SqliteNotificationsApp() : NotificationsApp(DatabaseProvider.Sqlite);

public sealed class PostgresNotificationsApp() : NotificationsApp(DatabaseProvider.Postgres);

/// <summary>A transfer desk that records each request (who, what) and answers with canned outcomes.</summary>
public sealed class RecordingDesk : ITransferDesk
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Calls { get; } = new();

    public Task<IReadOnlyList<DeskBalance>> BalancesAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue($"balances {userId}");
        return Task.FromResult<IReadOnlyList<DeskBalance>>([new DeskBalance(Guid.NewGuid(), "Team Search", 1000m, 250.5m, 749.5m, new DateTime(2026, 12, 31, 0, 0, 0, DateTimeKind.Utc))]);
    }

    public Task<DeskOutcome> RequestAsync(Guid userId, decimal amount, string reason, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"request {userId} {amount} {reason}"));
        return Task.FromResult(new DeskOutcome(true, $"Requested {amount} USD: waiting for a finance admin.", Guid.NewGuid()));
    }

    public Task<DeskOutcome> ApproveAsync(Guid userId, Guid transferId, string? comment, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue($"approve {userId} {transferId} {comment}");
        return Task.FromResult(new DeskOutcome(true, "Approved.", transferId, "Approved"));
    }

    public Task<DeskOutcome> RejectAsync(Guid userId, Guid transferId, string? comment, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue($"reject {userId} {transferId} {comment}");
        return Task.FromResult(new DeskOutcome(true, "Rejected.", transferId, "Rejected"));
    }
}
