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
    public AppFactory App { get; private set; } = default!;

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
        })
        {
            TestServices = s => s.AddSingleton<TimeProvider>(Clock),
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
