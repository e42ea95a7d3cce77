using System.Text.Json.Nodes;
using ControlPlane.Features.Digests;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Digests;

/// <summary>
/// Digests from seeded calls to a real SMTP server and a chat webhook: each reader's own numbers, in their own inbox,
/// the chat channel once, nothing on a second run. The clock jumps past the demo's calls first, so the only spend of
/// "yesterday" is the test's.
/// </summary>
public abstract class DigestTests<TApp>(TApp app) where TApp : NotificationsApp
{
    private sealed record World(DateTime Yesterday, Actor Lead, Actor Finance, string Tag);

    /// <summary>
    /// A team (lead: a new TeamLead) with a subteam, a team beside it, a new finance admin; yesterday's calls:
    /// the team 2 × 1.25 (gpt-4o, billing-bot), the subteam 0.50 (claude-3, search-ui), the other team 4.00 (gpt-4o,
    /// other-bot); the day before, the team 1.00. Everybody else opts out, so only these two read a digest.
    /// </summary>
    private async Task<World> SeedAsync()
    {
        app.Clock.Advance(TimeSpan.FromDays(400));
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var yesterday = now.Date.AddDays(-1);
        var tag = Guid.NewGuid().ToString("N")[..6];
        var root = await app.TeamAsync($"Digest {tag}");
        var child = await app.WithScopeAsync(async sp => (await sp.GetRequiredService<TeamDirectory>().CreateAsync(NotificationsApp.Admin, $"Digest {tag} child", root)).Value!.Id);
        var other = await app.TeamAsync($"Beside {tag}");
        await using (var db = app.App.OpenDb())
        {
            var org = await db.Organizations.Select(o => o.Id).FirstAsync();
            db.Users.Add(new User { Id = Guid.NewGuid(), OrganizationId = org, Email = $"lead-{tag}@test.example", DisplayName = "Lead", Role = Roles.TeamLead, CreatedAt = now });
            db.Users.Add(new User { Id = Guid.NewGuid(), OrganizationId = org, Email = $"cfo-{tag}@test.example", DisplayName = "CFO", Role = Roles.FinanceAdmin, CreatedAt = now });
            await db.SaveChangesAsync();
        }
        await using (var db = app.App.OpenDb())
        {
            var lead = await db.Users.SingleAsync(u => u.Email == $"lead-{tag}@test.example");
            var finance = await db.Users.SingleAsync(u => u.Email == $"cfo-{tag}@test.example");
            await db.Set<DigestPreference>().ExecuteUpdateAsync(p => p.SetProperty(x => x.Cadence, DigestCadences.None));
            var chosen = await db.Set<DigestPreference>().Select(p => p.UserId).ToListAsync();
            foreach (var user in await db.Users.Where(u => u.Id != lead.Id && u.Id != finance.Id && !chosen.Contains(u.Id)).ToListAsync())
                db.Set<DigestPreference>().Add(new DigestPreference { UserId = user.Id, Cadence = DigestCadences.None, UpdatedAt = now });
            await db.SaveChangesAsync();
            var added = await app.WithScopeAsync(sp => sp.GetRequiredService<TeamDirectory>().AddMemberAsync(NotificationsApp.Admin, root, lead.Id, TeamRoles.Lead));
            Assert.True(added.Succeeded, added.Error);

            Call(db, root, yesterday.AddHours(9), 1.25m, "gpt-4o", "billing-bot");
            Call(db, root, yesterday.AddHours(10), 1.25m, "gpt-4o", "billing-bot");
            Call(db, child, yesterday.AddHours(11), 0.50m, "claude-3", "search-ui");
            Call(db, other, yesterday.AddHours(12), 4.00m, "gpt-4o", "other-bot");
            Call(db, root, yesterday.AddDays(-1).AddHours(9), 1.00m, "gpt-4o", "billing-bot");
            await db.SaveChangesAsync();
            await app.App.Services.GetRequiredService<CallRollups>().RebuildAsync(yesterday.AddDays(-1), yesterday.AddDays(1));
            return new World(yesterday, new Actor(lead.Id, lead.Email, lead.Role), new Actor(finance.Id, finance.Email, finance.Role), tag);
        }
    }

    private static void Call(ControlPlaneDb db, Guid team, DateTime at, decimal cost, string model, string caller) => db.Calls.Add(new CallRecord
    {
        Id = Guid.CreateVersion7(new DateTimeOffset(at, TimeSpan.Zero)), At = at, TeamId = team, Endpoint = "chat", ModelRequested = model, ModelServed = model,
        Caller = caller, Status = 200, InputTokens = 100, OutputTokens = 10, Cost = cost, UsageSource = UsageSource.Provider, LatencyMs = 100,
    });

    private Task<int> RunJobAsync() => app.WithScopeAsync(sp => sp.GetRequiredService<DigestJob>().SendDueAsync());

    [Fact]
    public async Task Each_reader_gets_their_own_digest_by_email_the_chat_channel_gets_it_once_and_a_second_run_sends_nothing()
    {
        var world = await SeedAsync();
        await using var smtp = await SmtpTestServer.StartAsync();
        await using var chat = await WebhookReceiver.StartAsync();
        var mail = await app.ChannelAsync(new ChannelForm
        {
            Name = $"Digest mail {world.Tag}", Kind = ChannelKinds.Email, SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, SmtpSecurity = SmtpSecurities.None,
            From = "controlplane@test.example",
        });
        // The subscription's own audience (every finance admin) is not a digest's: each reader gets only their own.
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = mail, AlertKind = AlertKinds.Digest, ToFinanceAdmins = true });
        var slack = await app.ChannelAsync(new ChannelForm { Name = $"Digest chat {world.Tag}", Kind = ChannelKinds.Slack, Url = chat.Url("/services/T1/B1/digest") });
        await app.SubscribeAsync(new SubscriptionForm { ChannelId = slack, AlertKind = AlertKinds.Digest });

        // Daily to the lead, the finance admin and the chat channel; last week's to the chat channel (nobody chose weekly).
        Assert.Equal(4, await RunJobAsync());

        var messages = new[] { await smtp.NextMessageAsync(), await smtp.NextMessageAsync() }
            .ToDictionary(m => Assert.Single(m.GetProperty("to").EnumerateArray()).GetString()!, m => m);
        var day = world.Yesterday.ToString("ddd d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture);

        var lead = messages[world.Lead.Name];
        Assert.Equal($"Daily AI spend digest, {day}: $3.00 (+200.0 %)", lead.GetProperty("subject").GetString());
        Assert.Equal(AlertKinds.Digest, lead.GetProperty("alert").GetString());
        var leadText = lead.GetProperty("text").GetString()!;
        Assert.Contains("Your teams and their subteams", leadText, StringComparison.Ordinal);
        Assert.Contains("Spend: $3.00 over 3 calls; $1.00 the day before (+200.0 %).", leadText, StringComparison.Ordinal);
        Assert.Contains("- gpt-4o $2.50 (2 calls)", leadText, StringComparison.Ordinal);
        Assert.Contains("- claude-3 $0.50 (1 call)", leadText, StringComparison.Ordinal);
        Assert.Contains("- billing-bot $2.50 (2 calls)", leadText, StringComparison.Ordinal);
        Assert.Contains("- search-ui $0.50 (1 call)", leadText, StringComparison.Ordinal);
        Assert.DoesNotContain("other-bot", leadText, StringComparison.Ordinal); // the team beside is not the lead's
        Assert.Contains("https://ai.example.com/?range=day", leadText, StringComparison.Ordinal);

        var finance = messages[world.Finance.Name];
        Assert.Equal($"Daily AI spend digest, {day}: $7.00 (+600.0 %)", finance.GetProperty("subject").GetString());
        var financeText = finance.GetProperty("text").GetString()!;
        Assert.Contains("The whole organisation", financeText, StringComparison.Ordinal);
        Assert.Contains("- gpt-4o $6.50 (3 calls)", financeText, StringComparison.Ordinal);
        Assert.Contains("- other-bot $4.00 (1 call)", financeText, StringComparison.Ordinal);

        var headers = new[] { await chat.NextAsync(), await chat.NextAsync() }
            .Select(p => JsonNode.Parse(p.Body)!["blocks"]![0]!["text"]!["text"]!.GetValue<string>()).ToList();
        Assert.Contains(headers, h => h.EndsWith($"Daily AI spend digest, {day}: $7.00 (+600.0 %)", StringComparison.Ordinal));
        Assert.Contains(headers, h => h.Contains("Weekly AI spend digest", StringComparison.Ordinal));

        Assert.Equal(0, await RunJobAsync());
        Assert.Equal(2, (await app.DeliveriesAsync(mail)).Count);
        Assert.Equal(2, (await app.DeliveriesAsync(slack)).Count);
    }

    [Fact]
    public async Task A_reader_who_chose_weekly_or_none_gets_no_daily_digest_and_the_choice_is_audited()
    {
        var world = await SeedAsync();
        var chosen = await app.WithScopeAsync(sp => sp.GetRequiredService<DigestPreferences>().ChooseAsync(world.Lead, DigestCadences.Weekly));
        Assert.True(chosen.Succeeded, chosen.Error);
        Assert.False((await app.WithScopeAsync(sp => sp.GetRequiredService<DigestPreferences>().ChooseAsync(world.Lead, "hourly"))).Succeeded);
        Assert.Equal(DigestCadences.Weekly, await app.WithScopeAsync(sp => sp.GetRequiredService<DigestPreferences>().CadenceOfAsync(world.Lead)));
        var none = await app.WithScopeAsync(sp => sp.GetRequiredService<DigestPreferences>().ChooseAsync(world.Finance, DigestCadences.None));
        Assert.True(none.Succeeded, none.Error);

        await RunJobAsync();

        await using var db = app.App.OpenDb();
        var sends = await db.Set<DigestSend>().Where(s => s.Reader == $"user:{world.Lead.UserId}" || s.Reader == $"user:{world.Finance.UserId}").ToListAsync();
        var send = Assert.Single(sends);
        Assert.Equal(DigestCadences.Weekly, send.Cadence);
        Assert.Equal(DateTime.SpecifyKind(DigestPeriod.Weekly(app.Clock.GetUtcNow().UtcDateTime).From, DateTimeKind.Unspecified), DateTime.SpecifyKind(send.PeriodStart, DateTimeKind.Unspecified));
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "digest.cadence" && e.Target == $"user:{world.Lead.UserId}"));
    }

    [Fact]
    public async Task A_team_lead_digest_reads_only_their_subtree()
    {
        var world = await SeedAsync();
        var report = await app.WithScopeAsync(sp => sp.GetRequiredService<DigestBuilder>().BuildAsync(world.Lead, DigestPeriod.Daily(app.Clock.GetUtcNow().UtcDateTime)));
        Assert.Equal(3.00m, report.Spend);
        Assert.Equal(3, report.Calls);
        Assert.Equal(1.00m, report.PreviousSpend);
        Assert.Equal(["billing-bot", "search-ui"], report.Top.Callers.Select(c => c.Name).ToArray());
        Assert.Equal(["gpt-4o", "claude-3"], report.TopModels.Select(m => m.Name).ToArray());
    }
}

public sealed class SqliteDigestTests(SqliteNotificationsApp app) : DigestTests<SqliteNotificationsApp>(app), IClassFixture<SqliteNotificationsApp>;

public sealed class PostgresDigestTests(PostgresNotificationsApp app) : DigestTests<PostgresNotificationsApp>(app), IClassFixture<PostgresNotificationsApp>;
