using ControlPlane.Features.Demo;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.Overview;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Overview;

/// <summary>
/// The hourly anomaly job over the demo (its clock stopped two hours after the research key's burst): one alert per
/// anomaly, for the subject's team, and nothing new when it runs again.
/// </summary>
public sealed class AnomalyAlertsTests(ClockedDemoApp app) : IClassFixture<ClockedDemoApp>
{
    private Task<bool> RunAsync(IAlerts alerts) => app.WithScopeAsync(async sp =>
    {
        await ActivatorUtilities.CreateInstance<AnomalyAlerts>(sp, alerts).RunAsync(default);
        return true;
    });

    [Fact]
    public async Task The_burst_raises_one_alert_for_its_team_with_the_reason_and_a_link()
    {
        var recorded = new RecordingAlerts();

        await RunAsync(recorded);

        await using var db = app.OpenDb();
        var key = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == DemoGateway.BurstingKey);
        var alert = Assert.Single(recorded.Raised, a => a.Subject.Contains($"key {DemoGateway.BurstingKey}", StringComparison.Ordinal));
        Assert.Equal((AlertKinds.Anomaly, key.TeamId, "/"), (alert.Kind, alert.TeamId, alert.Link));
        Assert.Contains("σ above its usual", alert.Body, StringComparison.Ordinal);
        Assert.Contains(key.Id.ToString(), alert.DedupKey, StringComparison.Ordinal);
        Assert.Equal(recorded.Raised.Count, recorded.Raised.Select(a => a.DedupKey).Distinct().Count());
        Assert.All(recorded.Raised, a => Assert.NotNull(a.TeamId));
    }

    [Fact]
    public async Task Running_again_sends_nothing_new()
    {
        await using (var db = app.OpenDb())
        {
            var mail = await db.Set<NotificationChannel>().SingleAsync(c => c.Name == "Finance e-mail");
            db.Add(new NotificationSubscription { Id = Guid.CreateVersion7(), ChannelId = mail.Id, AlertKind = AlertKinds.Anomaly, Addresses = "ops@acme.test", CreatedAt = ClockedDemoApp.Now });
            await db.SaveChangesAsync();
        }
        var alerts = app.App.Services.GetRequiredService<IAlerts>();

        await RunAsync(alerts);
        var first = await AnomalyDeliveriesAsync();
        await RunAsync(alerts);

        Assert.NotEmpty(first);
        Assert.Contains(first, d => d.Contains(DemoGateway.BurstingKey, StringComparison.Ordinal));
        Assert.Equal(first, await AnomalyDeliveriesAsync());
    }

    private async Task<List<string>> AnomalyDeliveriesAsync()
    {
        await using var db = app.OpenDb();
        return await db.Set<NotificationDelivery>().AsNoTracking().Where(d => d.AlertKind == AlertKinds.Anomaly).OrderBy(d => d.Subject).Select(d => d.Subject).ToListAsync();
    }
}
