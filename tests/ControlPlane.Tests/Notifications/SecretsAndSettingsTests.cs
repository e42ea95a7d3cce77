using ControlPlane.Features.Audit;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Notifications;

/// <summary>Channel settings: secrets encrypted and write-only, clear refusals, every change audited, only the money roles.</summary>
public sealed class SecretsAndSettingsTests(SqliteNotificationsApp app) : IClassFixture<SqliteNotificationsApp>
{
    [Fact]
    public async Task A_webhook_URL_is_encrypted_at_rest_shown_as_a_hint_and_kept_when_left_blank()
    {
        const string url = "https://hooks.slack.com/services/T9/B9/very-secret-path-7781";
        var id = await app.ChannelAsync(new ChannelForm { Name = "Secret slack", Kind = ChannelKinds.Slack, Url = url });

        await using (var db = app.App.OpenDb())
        {
            var row = await db.Set<NotificationChannel>().AsNoTracking().SingleAsync(c => c.Id == id);
            Assert.DoesNotContain("very-secret-path", row.Secret, StringComparison.Ordinal);
            Assert.Equal("hooks.slack.com/…7781", row.SecretHint);
            Assert.Equal(url, app.App.Services.GetRequiredService<ChannelSecrets>().Unprotect(row.Secret).Url);
            Assert.DoesNotContain(await db.AuditEntries.AsNoTracking().Select(e => e.Details).ToListAsync(), d => d.Contains("very-secret-path", StringComparison.Ordinal));
        }

        var form = await app.WithScopeAsync(sp => sp.GetRequiredService<NotificationSettings>().ChannelFormAsync(NotificationsApp.Finance, id));
        Assert.NotNull(form);
        Assert.Null(form.Url); // write-only
        form.Name = "Secret slack renamed";
        var saved = await app.WithScopeAsync(sp => sp.GetRequiredService<NotificationSettings>().SaveChannelAsync(NotificationsApp.Finance, id, form));
        Assert.True(saved.Succeeded, saved.Error);
        await using (var db = app.App.OpenDb())
        {
            var row = await db.Set<NotificationChannel>().AsNoTracking().SingleAsync(c => c.Id == id);
            Assert.Equal(url, app.App.Services.GetRequiredService<ChannelSecrets>().Unprotect(row.Secret).Url);
            var audited = await db.AuditEntries.AsNoTracking().Where(e => e.Target == $"channel:{id}").Select(e => e.Action).ToListAsync();
            Assert.Equal(["notification.channel.created", "notification.channel.changed"], audited);
        }
    }

    [Theory]
    [InlineData(ChannelKinds.Slack, "", null, "Paste the webhook URL.")]
    [InlineData(ChannelKinds.Slack, "http://hooks.example.com/x", null, "Use an https:// webhook URL (plain http only to this machine).")]
    [InlineData(ChannelKinds.Webhook, "https://example.com/hook", "short", "A webhook needs a signing secret of at least 16 characters (receivers verify X-ControlPlane-Signature with it).")]
    [InlineData(ChannelKinds.Email, null, null, "Give the SMTP server's host name.")]
    public async Task Bad_channel_settings_are_refused_with_what_to_fix(string kind, string? url, string? signing, string error)
    {
        var saved = await app.WithScopeAsync(sp => sp.GetRequiredService<NotificationSettings>().SaveChannelAsync(NotificationsApp.Finance, null,
            new ChannelForm { Name = $"Bad {kind} {Guid.NewGuid():N}", Kind = kind, Url = url, SigningSecret = signing }));
        Assert.Equal(error, saved.Error);
    }

    [Theory]
    [InlineData(Roles.TeamLead)]
    [InlineData(Roles.Member)]
    [InlineData(Roles.Auditor)]
    public async Task Only_Owner_Admin_and_FinanceAdmin_change_notifications(string role)
    {
        var actor = new Actor(null, $"{role}@test.example", role);
        var saved = await app.WithScopeAsync(sp => sp.GetRequiredService<NotificationSettings>().SaveChannelAsync(actor, null,
            new ChannelForm { Name = $"Refused {role}", Kind = ChannelKinds.Slack, Url = "https://hooks.slack.com/services/a/b/c" }));
        Assert.False(saved.Succeeded);
        Assert.Empty(await app.WithScopeAsync(sp => sp.GetRequiredService<NotificationSettings>().ChannelsAsync(actor)));
    }

    [Fact]
    public async Task Send_test_answers_at_once_and_a_failed_delivery_can_be_retried_now()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answers.Enqueue(System.Net.HttpStatusCode.BadGateway);
        var id = await app.ChannelAsync(new ChannelForm { Name = "Testable", Kind = ChannelKinds.Teams, Url = receiver.Url("/teams/test") });
        var settings = (Func<IServiceProvider, NotificationSettings>)(sp => sp.GetRequiredService<NotificationSettings>());

        var failed = await app.WithScopeAsync(sp => settings(sp).SendTestAsync(NotificationsApp.Finance, id, null));
        Assert.Equal("The test did not go through: HTTP 502 Bad Gateway: upstream trouble", failed.Error);
        var ok = await app.WithScopeAsync(sp => settings(sp).SendTestAsync(NotificationsApp.Finance, id, null));
        Assert.True(ok.Succeeded, ok.Error);
        Assert.Equal(DeliveryStatuses.Sent, ok.Value!.Status);
        await receiver.NextAsync();
        await receiver.NextAsync();

        var log = await app.WithScopeAsync(sp => settings(sp).DeliveriesAsync(NotificationsApp.Finance, new DeliveryQuery(DeliveryStatuses.Failed)));
        var failedRow = Assert.Single(log.Rows, r => r.Channel == "Testable");
        var retried = await app.WithScopeAsync(sp => settings(sp).RetryAsync(NotificationsApp.Finance, failedRow.Id));
        Assert.True(retried.Succeeded, retried.Error);
        var request = await receiver.NextAsync();
        Assert.Equal("/teams/test", request.Path);
        var rows = await app.UntilAsync(id, rows => rows.All(r => r.Status == DeliveryStatuses.Sent), "the retried test is sent");
        Assert.Equal(2, rows.Single(r => r.Id == failedRow.Id).Attempts);
        await using var db = app.App.OpenDb();
        Assert.Contains(await db.AuditEntries.AsNoTracking().Select(e => e.Action).ToListAsync(), a => a == "notification.delivery.retried");
        await AuditVerificationProbe(db);
    }

    private async Task AuditVerificationProbe(ControlPlane.Infrastructure.Data.ControlPlaneDb db)
    {
        var verdict = await app.App.Services.GetRequiredService<AuditLog>().VerifyAsync(db, []);
        Assert.True(verdict.IsIntact, verdict.Problem);
    }
}
