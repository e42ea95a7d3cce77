using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.People;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Notifications;

/// <summary>The Slack app's endpoints, called as Slack calls them: signed form posts, checked before anything else.</summary>
public sealed class SlackAppTests(SqliteNotificationsApp app) : IClassFixture<SqliteNotificationsApp>
{
    private const string Workspace = "T0SLACK01";

    private async Task<(string SlackUser, Guid Person)> LinkedPersonAsync()
    {
        var slackUser = "U" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        var email = $"slack-{Guid.NewGuid():N}@test.example";
        Guid id;
        await using (var db = app.App.OpenDb())
        {
            var user = new User { Id = Guid.NewGuid(), OrganizationId = (await db.Organizations.FirstAsync()).Id, Email = email, DisplayName = "Slack person", Role = Roles.FinanceAdmin, CreatedAt = DateTime.UtcNow };
            db.Users.Add(user);
            await db.SaveChangesAsync();
            id = user.Id;
        }
        var linked = await app.WithScopeAsync(sp => sp.GetRequiredService<NotificationSettings>().LinkSlackUserAsync(NotificationsApp.Finance, Workspace, slackUser, email));
        Assert.True(linked.Succeeded, linked.Error);
        return (slackUser, id);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? secret = NotificationsApp.SlackSecret, TimeSpan? age = null)
    {
        var timestamp = (app.Clock.GetUtcNow() - (age ?? TimeSpan.Zero)).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
        request.Headers.Add(SlackSignature.TimestampHeader, timestamp);
        if (secret is not null) request.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Sign(secret, timestamp, body));
        using var client = app.App.CreateClient();
        return await client.SendAsync(request);
    }

    private static string Command(string command, string text, string user) =>
        $"token=legacy&team_id={Workspace}&user_id={user}&user_name=someone&command={Uri.EscapeDataString(command)}&text={Uri.EscapeDataString(text)}&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2Fx";

    private static string Button(string actionId, Guid transfer, string user, string? responseUrl = null, object[]? blocks = null) =>
        "payload=" + Uri.EscapeDataString(JsonSerializer.Serialize(new
        {
            type = "block_actions",
            team = new { id = Workspace },
            user = new { id = user, username = "fiona", team_id = Workspace },
            actions = new[] { new { action_id = actionId, value = transfer.ToString(), type = "button" } },
            response_url = responseUrl,
            message = blocks is null ? null : new { blocks },
        }));

    private static async Task<string> TextAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("text").GetString()!;
    }

    [Fact]
    public async Task Ai_budget_answers_the_linked_persons_balances()
    {
        var (slackUser, person) = await LinkedPersonAsync();
        var text = await TextAsync(await PostAsync("/slack/commands", Command("/ai-budget", "", slackUser)));
        Assert.Equal("*Team Search*: 749.50 USD left of 1000.00 (spent 250.50), resets 2026-12-31", text);
        Assert.Contains($"balances {person}", app.Desk.Calls);
    }

    [Fact]
    public async Task Ai_request_opens_a_transfer_request_and_explains_its_usage_when_malformed()
    {
        var (slackUser, person) = await LinkedPersonAsync();
        Assert.Equal("Requested 200 USD: waiting for a finance admin.", await TextAsync(await PostAsync("/slack/commands", Command("/ai-request", "200 load test for the launch", slackUser))));
        Assert.Contains($"request {person} 200 load test for the launch", app.Desk.Calls);
        Assert.StartsWith("Usage: /ai-request", await TextAsync(await PostAsync("/slack/commands", Command("/ai-request", "lots please", slackUser))), StringComparison.Ordinal);
        Assert.StartsWith("Usage: /ai-request", await TextAsync(await PostAsync("/slack/commands", Command("/ai-request", "200", slackUser))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_approve_and_reject_buttons_act_as_the_linked_person()
    {
        var (slackUser, person) = await LinkedPersonAsync();
        var transfer = Guid.NewGuid();
        Assert.Equal("Approved.", await TextAsync(await PostAsync("/slack/interactions", Button(SlackActions.Approve, transfer, slackUser))));
        Assert.Contains($"approve {person} {transfer} Approved in Slack by fiona", app.Desk.Calls);
        Assert.Equal("Rejected.", await TextAsync(await PostAsync("/slack/interactions", Button(SlackActions.Reject, transfer, slackUser))));
        Assert.Contains($"reject {person} {transfer} Rejected in Slack by fiona", app.Desk.Calls);
    }

    [Fact]
    public async Task A_decided_request_replaces_its_Slack_message_through_response_url_without_the_buttons()
    {
        await using var slack = await WebhookReceiver.StartAsync(); // stands in for hooks.slack.com
        var (slackUser, _) = await LinkedPersonAsync();
        var transfer = Guid.NewGuid();
        var message = new object[]
        {
            new { type = "section", text = new { type = "mrkdwn", text = "*Budget transfer requested*: 200.00 USD to Team Search" } },
            new { type = "actions", elements = new[] { new { type = "button", action_id = SlackActions.Approve, value = transfer.ToString() } } },
        };

        var reply = await TextAsync(await PostAsync("/slack/interactions", Button(SlackActions.Reject, transfer, slackUser, slack.Url("/actions/T0/R1"), message)));

        Assert.Equal("Rejected.", reply); // the clicker's own answer, as before
        var posted = await slack.NextAsync();
        Assert.Equal("/actions/T0/R1", posted.Path);
        Assert.StartsWith("application/json", posted.Headers["Content-Type"], StringComparison.Ordinal);
        var json = JsonDocument.Parse(posted.Body).RootElement;
        Assert.True(json.GetProperty("replace_original").GetBoolean());
        Assert.Equal("Rejected by fiona in Slack: Rejected.", json.GetProperty("text").GetString());
        var blocks = json.GetProperty("blocks").EnumerateArray().ToList();
        Assert.DoesNotContain(blocks, b => b.GetProperty("type").GetString() == "actions"); // no buttons left
        Assert.Equal("*Budget transfer requested*: 200.00 USD to Team Search", blocks[0].GetProperty("text").GetProperty("text").GetString());
        Assert.Equal("context", blocks[^1].GetProperty("type").GetString());
        Assert.Equal("*Rejected* by fiona in Slack: Rejected.", blocks[^1].GetProperty("elements")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void A_response_url_to_a_refused_address_is_not_posted_to()
    {
        var policy = new ControlPlane.Features.Gateway.Providers.ProviderAddressPolicy([]);
        Assert.NotNull(WebhookAddresses.Problem(policy, new Uri("https://169.254.169.254/latest/meta-data/")));
        Assert.NotNull(WebhookAddresses.Problem(policy, new Uri("http://127.0.0.1:8080/x")));
        Assert.Null(WebhookAddresses.Problem(policy, new Uri("https://hooks.slack.com/actions/T0/R1"))); // names are checked when resolved
    }

    [Fact]
    public async Task Forged_unsigned_and_stale_requests_are_refused_before_anything_happens()
    {
        var (slackUser, _) = await LinkedPersonAsync();
        var before = app.Desk.Calls.Count;
        var transfer = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync("/slack/interactions", Button(SlackActions.Approve, transfer, slackUser), secret: "not-the-signing-secret")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync("/slack/interactions", Button(SlackActions.Approve, transfer, slackUser), secret: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync("/slack/commands", Command("/ai-budget", "", slackUser), age: TimeSpan.FromMinutes(6))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync("/slack/commands", Command("/ai-budget", "", slackUser), age: TimeSpan.FromMinutes(-6))).StatusCode);
        // A body changed after signing (a replayed signature on another amount) does not verify either.
        var timestamp = app.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var tampered = new HttpRequestMessage(HttpMethod.Post, "/slack/commands")
        {
            Content = new StringContent(Command("/ai-request", "9999 more", slackUser), Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        tampered.Headers.Add(SlackSignature.TimestampHeader, timestamp);
        tampered.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Sign(NotificationsApp.SlackSecret, timestamp, Command("/ai-request", "1 less", slackUser)));
        using var client = app.App.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(tampered)).StatusCode);
        Assert.Equal(before, app.Desk.Calls.Count);
        // Still fresh at 4 minutes.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/slack/commands", Command("/ai-budget", "", slackUser), age: TimeSpan.FromMinutes(4))).StatusCode);
    }

    [Fact]
    public async Task An_unlinked_Slack_user_is_told_to_get_linked_and_nothing_happens()
    {
        var before = app.Desk.Calls.Count;
        Assert.Equal(SlackEndpoints.NotLinked, await TextAsync(await PostAsync("/slack/commands", Command("/ai-request", "200 please", "U0STRANGER"))));
        Assert.Equal(SlackEndpoints.NotLinked, await TextAsync(await PostAsync("/slack/interactions", Button(SlackActions.Approve, Guid.NewGuid(), "U0STRANGER"))));
        Assert.Equal(before, app.Desk.Calls.Count);
    }

    [Fact]
    public async Task A_transfer_request_message_in_Slack_carries_the_approve_and_reject_buttons()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await app.TeamAsync("Slack buttons team");
        var channel = await app.ChannelAsync(new ChannelForm { Name = "Slack approvals", Kind = ChannelKinds.Slack, Url = receiver.Url("/services/approvals") });
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = channel, AlertKind = AlertKinds.TransferRequested, TeamId = team });
        var transfer = Guid.NewGuid();
        await app.RaiseAsync(new Alert(AlertKinds.TransferRequested, "Search asks for 200 USD", "Load test for the launch.", TeamId: team, Link: $"/transfers?id={transfer}",
            Facts: new Dictionary<string, string> { ["Amount"] = "200.00 USD", [AlertFacts.TransferId] = transfer.ToString() }));

        var blocks = JsonDocument.Parse((await receiver.NextAsync()).Body).RootElement.GetProperty("blocks");
        var buttons = blocks.EnumerateArray().Single(b => b.GetProperty("type").GetString() == "actions").GetProperty("elements").EnumerateArray().ToList();
        Assert.Equal([SlackActions.Approve, SlackActions.Reject, "open"], buttons.Select(b => b.GetProperty("action_id").GetString()));
        Assert.All(buttons.Take(2), b => Assert.Equal(transfer.ToString(), b.GetProperty("value").GetString()));
        Assert.DoesNotContain(blocks.GetRawText(), AlertFacts.TransferId, StringComparison.Ordinal);
    }
}
