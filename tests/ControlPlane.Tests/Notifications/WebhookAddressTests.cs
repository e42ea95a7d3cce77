using ControlPlane.Features.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Notifications;

/// <summary>
/// Webhook, Slack and Teams URLs follow the providers' address rule: refused when saved if they point inside (metadata,
/// private, link-local), and refused again at send time when the host resolves inside then (DNS rebinding). No traffic
/// goes anywhere but 127.0.0.1: a refusal is the policy's decision before any socket is opened.
/// </summary>
public sealed class WebhookAddressTests(SqliteNotificationsApp app) : IClassFixture<SqliteNotificationsApp>
{
    [Theory]
    [InlineData(ChannelKinds.Slack, "https://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData(ChannelKinds.Teams, "https://10.0.0.8/webhook", "private")]
    [InlineData(ChannelKinds.Webhook, "https://192.168.1.20:8443/hook", "private")]
    [InlineData(ChannelKinds.Slack, "https://[::ffff:172.16.0.1]/x", "private")]
    [InlineData(ChannelKinds.Teams, "https://metadata.google.internal/computeMetadata/v1/", "cloud metadata host")]
    [InlineData(ChannelKinds.Webhook, "https://localhost:9999/hook", "loopback")]
    public async Task A_URL_to_a_refused_address_is_not_saved_and_the_dialog_says_why(string kind, string url, string why)
    {
        var name = $"Inward {Guid.NewGuid():N}";
        var saved = await app.WithScopeAsync(sp => sp.GetRequiredService<NotificationSettings>().SaveChannelAsync(NotificationsApp.Finance, null,
            new ChannelForm { Name = name, Kind = kind, Url = url, SigningSecret = "whsec-0123456789abcdef" }));

        Assert.False(saved.Succeeded);
        Assert.StartsWith("That address is not allowed for notifications: ", saved.Error, StringComparison.Ordinal);
        Assert.Contains(why, saved.Error, StringComparison.Ordinal);
        Assert.Contains("Gateway:AllowedProviderAddresses", saved.Error, StringComparison.Ordinal);
        await using var db = app.App.OpenDb();
        Assert.False(await db.Set<NotificationChannel>().AnyAsync(c => c.Name == name));
    }

    [Fact]
    public async Task A_name_that_resolves_inward_at_send_time_is_refused_before_connecting()
    {
        // Saved while it is just a name (names are checked when they are resolved); at send time it resolves to a private address.
        app.Resolver.Map("hooks.rebind.test", "10.20.30.40");
        var id = await app.ChannelAsync(new ChannelForm { Name = "Rebinding", Kind = ChannelKinds.Slack, Url = "https://hooks.rebind.test/services/x" });

        var sent = await app.WithScopeAsync(sp => sp.GetRequiredService<NotificationSettings>().SendTestAsync(NotificationsApp.Finance, id, null));

        Assert.False(sent.Succeeded);
        Assert.Contains("The webhook's address is not allowed", sent.Error, StringComparison.Ordinal);
        Assert.Contains("10.20.30.40", sent.Error, StringComparison.Ordinal);
        Assert.True(app.Resolver.Lookups("hooks.rebind.test") >= 1);
        var row = Assert.Single(await app.DeliveriesAsync(id));
        Assert.Contains("not allowed", row.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("/services/x", row.LastError, StringComparison.Ordinal); // the URL's secret path stays out of the log
    }

    [Fact]
    public async Task The_tests_own_loopback_listener_is_allowed_by_configuration()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var id = await app.ChannelAsync(new ChannelForm { Name = "Local listener", Kind = ChannelKinds.Teams, Url = receiver.Url("/teams/local") });

        var sent = await app.WithScopeAsync(sp => sp.GetRequiredService<NotificationSettings>().SendTestAsync(NotificationsApp.Finance, id, null));

        Assert.True(sent.Succeeded, sent.Error);
        Assert.Equal("/teams/local", (await receiver.NextAsync()).Path);
    }
}
