using System.Net;
using System.Text.Json;
using ControlPlane.Features.Notifications;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Notifications;

/// <summary>Alerts reach real receivers: an SMTP server (npm smtp-server) and webhook listeners on 127.0.0.1.</summary>
public sealed class ChannelDeliveryTests(SqliteNotificationsApp app) : IClassFixture<SqliteNotificationsApp>
{
    private static Alert WalletAlert(Guid teamId, string subject, string? dedupKey = null) => new(
        AlertKinds.WalletThreshold, subject, "'Search' has spent 80 % of its 1000 USD limit.", AlertSeverity.Warning, TeamId: teamId,
        Link: "/wallets", DedupKey: dedupKey, Facts: new Dictionary<string, string> { ["Spent"] = "800.00 USD", ["Limit"] = "1000.00 USD" });

    [Fact]
    public async Task An_email_reaches_a_real_SMTP_server_with_its_subject_body_and_facts()
    {
        await using var smtp = await SmtpTestServer.StartAsync("mailer", "smtp-pass-8812");
        var team = await app.TeamAsync("Mail team");
        var channel = await app.ChannelAsync(new ChannelForm
        {
            Name = "Mail", Kind = ChannelKinds.Email, SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, SmtpSecurity = SmtpSecurities.None,
            SmtpUser = "mailer", Password = "smtp-pass-8812", From = "controlplane@test.example",
        });
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = channel, AlertKind = AlertKinds.WalletThreshold, TeamId = team, Addresses = "lead@test.example, cfo@test.example" });

        await app.RaiseAsync(WalletAlert(team, "Mail team has spent 80 %"));

        var message = await smtp.NextMessageAsync();
        Assert.Equal("mailer", message.GetProperty("user").GetString());
        Assert.Equal("controlplane@test.example", message.GetProperty("from").GetString());
        Assert.Equal(["lead@test.example", "cfo@test.example"], message.GetProperty("to").EnumerateArray().Select(e => e.GetString()).Order().Reverse());
        Assert.Equal("Mail team has spent 80 %", message.GetProperty("subject").GetString());
        var text = message.GetProperty("text").GetString()!;
        Assert.Contains("'Search' has spent 80 % of its 1000 USD limit.", text, StringComparison.Ordinal);
        Assert.Contains("Spent: 800.00 USD", text, StringComparison.Ordinal);
        Assert.Contains("https://ai.example.com/wallets", text, StringComparison.Ordinal);
        Assert.Equal(AlertKinds.WalletThreshold, message.GetProperty("alert").GetString());
        var sent = await app.UntilAsync(channel, rows => rows.Any(r => r.Status == DeliveryStatuses.Sent), "the delivery is logged as sent");
        Assert.Equal(1, Assert.Single(sent).Attempts);
    }

    [Fact]
    public async Task A_wrong_SMTP_password_fails_the_delivery_without_writing_the_password_down()
    {
        await using var smtp = await SmtpTestServer.StartAsync("mailer", "the-right-one");
        var team = await app.TeamAsync("Wrong password team");
        var channel = await app.ChannelAsync(new ChannelForm
        {
            Name = "Mail with a wrong password", Kind = ChannelKinds.Email, SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, SmtpSecurity = SmtpSecurities.None,
            SmtpUser = "mailer", Password = "wrong-pass-5531", From = "controlplane@test.example",
        });
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = channel, AlertKind = AlertKinds.WalletThreshold, TeamId = team, Addresses = "lead@test.example" });

        await app.RaiseAsync(WalletAlert(team, "Wrong password team has spent 80 %"));

        var failed = await app.UntilAsync(channel, rows => rows.Any(r => r.Attempts == 1), "the first attempt is logged");
        var row = Assert.Single(failed);
        Assert.Equal(DeliveryStatuses.Pending, row.Status);
        Assert.Contains("Authentication", row.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("wrong-pass-5531", row.LastError, StringComparison.Ordinal);
        await using var db = app.App.OpenDb();
        var stored = await db.Set<NotificationChannel>().AsNoTracking().SingleAsync(c => c.Id == channel);
        Assert.DoesNotContain("wrong-pass-5531", stored.Secret, StringComparison.Ordinal); // encrypted at rest
        Assert.DoesNotContain("wrong-pass-5531", stored.Settings, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_is_signed_retried_after_a_500_with_backoff_and_then_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answers.Enqueue(HttpStatusCode.InternalServerError);
        const string signing = "whsec-0123456789abcdef";
        var team = await app.TeamAsync("Webhook team");
        var channel = await app.ChannelAsync(new ChannelForm { Name = "Hook", Kind = ChannelKinds.Webhook, Url = receiver.Url("/hooks/cp"), SigningSecret = signing });
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = channel, AlertKind = AlertKinds.WalletThreshold, TeamId = team });

        await app.RaiseAsync(WalletAlert(team, "Webhook team has spent 80 %"));

        var first = await receiver.NextAsync();
        var afterFirst = await app.UntilAsync(channel, rows => rows.Any(r => r.Attempts == 1), "the failed attempt is logged");
        var pending = Assert.Single(afterFirst);
        Assert.Equal(DeliveryStatuses.Pending, pending.Status);
        Assert.StartsWith("HTTP 500", pending.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("/hooks/cp", pending.LastError, StringComparison.Ordinal);
        Assert.InRange(pending.NextAttemptAt - pending.CreatedAt, NotificationsApp.Backoff - TimeSpan.FromSeconds(1), NotificationsApp.Backoff + TimeSpan.FromSeconds(1));

        app.Clock.Advance(NotificationsApp.Backoff + TimeSpan.FromSeconds(1));
        var second = await receiver.NextAsync();
        var sent = Assert.Single(await app.UntilAsync(channel, rows => rows.Any(r => r.Status == DeliveryStatuses.Sent), "the retry is logged as sent"));
        Assert.Equal(2, sent.Attempts);
        Assert.Null(sent.LastError);

        foreach (var request in new[] { first, second })
        {
            Assert.Equal("/hooks/cp", request.Path);
            var timestamp = long.Parse(request.Headers[WebhookSignature.TimestampHeader], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(WebhookSignature.Verify(signing, timestamp, request.Body, request.Headers[WebhookSignature.SignatureHeader]), "the signature verifies");
            Assert.False(WebhookSignature.Verify("another-secret-0000", timestamp, request.Body, request.Headers[WebhookSignature.SignatureHeader]));
            Assert.Equal(sent.Id.ToString(), request.Headers[WebhookSignature.DeliveryHeader]);
            var json = JsonDocument.Parse(request.Body).RootElement;
            Assert.Equal(AlertKinds.WalletThreshold, json.GetProperty("kind").GetString());
            Assert.Equal("Webhook team has spent 80 %", json.GetProperty("subject").GetString());
            Assert.Equal("800.00 USD", json.GetProperty("facts").GetProperty("Spent").GetString());
            Assert.Equal(team, json.GetProperty("team_id").GetGuid());
        }
        // HMAC over timestamp + "." + body, by hand
        var expected = "v1=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(signing), System.Text.Encoding.UTF8.GetBytes($"{second.Headers[WebhookSignature.TimestampHeader]}.{second.Body}")));
        Assert.Equal(expected, second.Headers[WebhookSignature.SignatureHeader]);
    }

    [Fact]
    public async Task Slack_gets_Block_Kit_and_Teams_an_Adaptive_Card()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await app.TeamAsync("Chat team");
        var slack = await app.ChannelAsync(new ChannelForm { Name = "Slack #budgets", Kind = ChannelKinds.Slack, Url = receiver.Url("/services/T000/B000/slacksecret") });
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = slack, AlertKind = AlertKinds.WalletThreshold, TeamId = team });
        await app.RaiseAsync(WalletAlert(team, "Chat team has spent 80 %"));
        var slackRequest = await receiver.NextAsync();

        var teams = await app.ChannelAsync(new ChannelForm { Name = "Teams budgets", Kind = ChannelKinds.Teams, Url = receiver.Url("/webhookb2/teams-secret") });
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = teams, AlertKind = AlertKinds.WalletExhausted, TeamId = team });
        await app.RaiseAsync(new Alert(AlertKinds.WalletExhausted, "Chat team has spent its whole budget", "No more calls until the reset.", AlertSeverity.Critical,
            TeamId: team, Link: "/wallets", Facts: new Dictionary<string, string> { ["Limit"] = "1000.00 USD" }));
        var teamsRequest = await receiver.NextAsync();

        Assert.Equal("/services/T000/B000/slacksecret", slackRequest.Path);
        var s = JsonDocument.Parse(slackRequest.Body).RootElement;
        Assert.Equal("Chat team has spent 80 %", s.GetProperty("text").GetString());
        var blocks = s.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        Assert.Contains("Chat team has spent 80 %", blocks[0].GetProperty("text").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("'Search' has spent 80 % of its 1000 USD limit.", blocks[1].GetProperty("text").GetProperty("text").GetString());
        Assert.Contains(blocks[2].GetProperty("fields").EnumerateArray(), f => f.GetProperty("text").GetString() == "*Spent*\n800.00 USD");
        Assert.Equal("https://ai.example.com/wallets", blocks[3].GetProperty("elements")[0].GetProperty("url").GetString());

        Assert.Equal("/webhookb2/teams-secret", teamsRequest.Path);
        var t = JsonDocument.Parse(teamsRequest.Body).RootElement;
        Assert.Equal("message", t.GetProperty("type").GetString());
        var attachment = t.GetProperty("attachments")[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        var card = attachment.GetProperty("content");
        Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
        Assert.Equal("Chat team has spent its whole budget", card.GetProperty("body")[0].GetProperty("text").GetString());
        Assert.Equal("Attention", card.GetProperty("body")[0].GetProperty("color").GetString());
        Assert.Equal("1000.00 USD", card.GetProperty("body")[2].GetProperty("facts")[0].GetProperty("value").GetString());
        Assert.Equal("https://ai.example.com/wallets", card.GetProperty("actions")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task The_same_alert_is_sent_once_within_the_dedup_window_and_again_after_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await app.TeamAsync("Dedup team");
        var channel = await app.ChannelAsync(new ChannelForm { Name = "Dedup hook", Kind = ChannelKinds.Slack, Url = receiver.Url("/dedup") });
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = channel, AlertKind = AlertKinds.WalletThreshold, TeamId = team });

        await app.RaiseAsync(WalletAlert(team, "Dedup team at 80 %", dedupKey: "wallet-x:80"));
        await app.RaiseAsync(WalletAlert(team, "Dedup team at 80 %", dedupKey: "wallet-x:80"));
        await app.RaiseAsync(WalletAlert(team, "Dedup team at 90 %", dedupKey: "wallet-x:90"));
        Assert.Equal(2, (await app.DeliveriesAsync(channel)).Count);

        app.Clock.Advance(NotificationsApp.DedupWindow + TimeSpan.FromMinutes(1));
        await app.RaiseAsync(WalletAlert(team, "Dedup team at 80 %", dedupKey: "wallet-x:80"));
        var rows = await app.UntilAsync(channel, rows => rows.Count(r => r.Status == DeliveryStatuses.Sent) == 3, "three deliveries sent");
        Assert.Equal(["Dedup team at 80 %", "Dedup team at 80 %", "Dedup team at 90 %"], rows.Select(r => r.Subject).Order());
    }

    [Fact]
    public async Task An_alert_for_another_team_or_kind_does_not_reach_a_team_subscription()
    {
        var team = await app.TeamAsync("Scoped team");
        var other = await app.TeamAsync("Other scoped team");
        var channel = await app.ChannelAsync(new ChannelForm { Name = "Scoped hook", Kind = ChannelKinds.Slack, Url = "https://hooks.slack.com/services/T1/B1/scoped" });
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = channel, AlertKind = AlertKinds.WalletThreshold, TeamId = team });

        await app.RaiseAsync(WalletAlert(other, "Other team at 80 %"));
        await app.RaiseAsync(new Alert(AlertKinds.ProviderFailing, "A provider fails", "5xx", TeamId: team));

        Assert.Empty(await app.DeliveriesAsync(channel));
    }
}
