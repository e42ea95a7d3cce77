using ControlPlane.Features.Metering;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Notifications;

/// <summary>
/// Wallet thresholds raise alerts where the charges are written; the wallet's escalation ladder widens the audience as
/// spend climbs (80 % the team's leads, 95 % finance too, 100 % everyone listed), each step once per period.
/// </summary>
public sealed class EscalationLadderTests(SqliteNotificationsApp app) : IClassFixture<SqliteNotificationsApp>
{
    private async Task<(Guid Team, Guid Wallet, string Lead)> TeamWithWalletAndLeadAsync(string name)
    {
        var team = await app.TeamAsync(name);
        var lead = $"lead-{Guid.NewGuid():N}@test.example";
        await using (var db = app.App.OpenDb())
        {
            var org = await db.Organizations.FirstAsync();
            var user = new User { Id = Guid.NewGuid(), OrganizationId = org.Id, Email = lead, DisplayName = "Lead", Role = Roles.TeamLead, CreatedAt = DateTime.UtcNow };
            db.Users.Add(user);
            await db.SaveChangesAsync();
            var added = await app.WithScopeAsync(sp => sp.GetRequiredService<TeamDirectory>().AddMemberAsync(NotificationsApp.Admin, team, user.Id, TeamRoles.Lead));
            Assert.True(added.Succeeded, added.Error);
        }
        var wallet = await app.WithScopeAsync(async sp =>
        {
            await using var db = app.App.OpenDb();
            var wallets = sp.GetRequiredService<WalletService>();
            if (!await db.Wallets.AnyAsync(w => w.OwnerKind == WalletOwners.Organization))
                Assert.True((await wallets.SaveAsync(NotificationsApp.Finance, WalletOwners.Organization, (await db.Organizations.FirstAsync()).Id, new WalletForm { Limit = null })).Succeeded);
            var saved = await wallets.SaveAsync(NotificationsApp.Finance, WalletOwners.Team, team, new WalletForm { Limit = 1m, Period = WalletPeriods.Monthly, Thresholds = "80,90,95" });
            Assert.True(saved.Succeeded, saved.Error);
            return saved.Value!.Id;
        });
        return (team, wallet, lead);
    }

    /// <summary>Charges the wallet as the call log writer does: in one transaction with a call row, then the after-commit work.</summary>
    private async Task ChargeAsync(Guid team, Guid wallet, decimal amount)
    {
        var hook = app.App.Services.GetServices<ICallBatchHook>().OfType<WalletChargeHook>().Single();
        await using var db = app.App.OpenDb();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var call = new CallRecord { Id = Guid.CreateVersion7(), At = app.Clock.GetUtcNow().UtcDateTime, TeamId = team, Endpoint = "chat", Status = 200, Cost = amount };
        db.Calls.Add(call);
        await db.SaveChangesAsync();
        var then = await hook.ApplyAsync(db, [new MeteredCall(call, null, [new WalletCharge(wallet, null, amount)])], CancellationToken.None);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        then?.Invoke();
    }

    [Fact]
    public async Task The_ladder_widens_the_audience_as_spend_climbs_and_each_step_is_sent_once()
    {
        var (team, wallet, lead) = await TeamWithWalletAndLeadAsync("Ladder team");
        await using var smtp = await SmtpTestServer.StartAsync();
        var mail = await app.ChannelAsync(new ChannelForm
        {
            Name = "Ladder mail", Kind = ChannelKinds.Email, SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, SmtpSecurity = SmtpSecurities.None, From = "cp@test.example",
        });
        var settings = (Func<IServiceProvider, NotificationSettings>)(sp => sp.GetRequiredService<NotificationSettings>());
        foreach (var step in new[]
        {
            new EscalationStepForm { WalletId = wallet, Percent = 80, ChannelId = mail, ToTeamLeads = true },
            new EscalationStepForm { WalletId = wallet, Percent = 95, ChannelId = mail, ToFinanceAdmins = true },
            new EscalationStepForm { WalletId = wallet, Percent = 100, ChannelId = mail, Addresses = "everyone@test.example, cto@test.example" },
        })
        {
            var added = await app.WithScopeAsync(sp => settings(sp).AddStepAsync(NotificationsApp.Finance, step));
            Assert.True(added.Succeeded, added.Error);
        }
        await using (var db = app.App.OpenDb())
        {
            // The finance admins the 95 % step reaches: the demo's, plus one of ours.
            db.Users.Add(new User { Id = Guid.NewGuid(), OrganizationId = (await db.Organizations.FirstAsync()).Id, Email = "cfo@test.example", DisplayName = "CFO", Role = Roles.FinanceAdmin, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        List<string> finance;
        await using (var db = app.App.OpenDb())
            finance = await db.Users.AsNoTracking().Where(u => u.Role == Roles.FinanceAdmin && u.IsActive).Select(u => u.Email).ToListAsync();

        await ChargeAsync(team, wallet, 0.85m); // 80 %
        var rows = await app.UntilAsync(mail, r => r.Count == 1, "the 80 % alert");
        Assert.Equal([lead], Recipients(rows[0]));
        Assert.Equal(AlertKinds.WalletThreshold, rows[0].AlertKind);
        var message = await smtp.NextMessageAsync();
        Assert.Equal("Budget at 80 %: 'Team Ladder team'", message.GetProperty("subject").GetString());

        await ChargeAsync(team, wallet, 0.11m); // 96 %: 90 and 95 crossed in one batch
        rows = await app.UntilAsync(mail, r => r.Count == 3, "the 90 % and 95 % alerts");
        Assert.Equal([lead], Recipients(rows.Single(r => r.Subject.Contains("90 %", StringComparison.Ordinal))));
        Assert.Equal([.. finance.Append(lead).Order()], Recipients(rows.Single(r => r.Subject.Contains("95 %", StringComparison.Ordinal))));

        await ChargeAsync(team, wallet, 0.05m); // 101 %: exhausted
        rows = await app.UntilAsync(mail, r => r.Count == 4, "the exhaustion alert");
        var exhausted = rows.Single(r => r.AlertKind == AlertKinds.WalletExhausted);
        Assert.Equal([.. finance.Append(lead).Append("everyone@test.example").Append("cto@test.example").Order()], Recipients(exhausted));

        // The same step again in the same period (another node announcing it, a replay): not sent twice.
        await app.RaiseAsync(WalletAlerts.For(new WalletThresholdCrossed(wallet, "Ladder team", 80, "again") { TeamId = team, PeriodStart = await PeriodStartAsync(wallet), Limit = 1m, Spent = 0.85m }));
        Assert.Equal(4, (await app.DeliveriesAsync(mail)).Count);
        await app.UntilAsync(mail, r => r.All(d => d.Status == DeliveryStatuses.Sent), "all four e-mails sent");
    }

    [Fact]
    public async Task A_ladder_step_needs_an_audience_and_a_real_percentage()
    {
        var (_, wallet, _) = await TeamWithWalletAndLeadAsync("Ladder checks team");
        var mail = await app.ChannelAsync(new ChannelForm { Name = "Ladder checks mail", Kind = ChannelKinds.Email, SmtpHost = "mail.example.com", SmtpPort = 587, From = "cp@example.com" });
        var settings = (Func<IServiceProvider, NotificationSettings>)(sp => sp.GetRequiredService<NotificationSettings>());
        var nobody = await app.WithScopeAsync(sp => settings(sp).AddStepAsync(NotificationsApp.Finance, new EscalationStepForm { WalletId = wallet, Percent = 80, ChannelId = mail }));
        Assert.Equal("An e-mail step needs an audience: team leads, finance admins or listed addresses.", nobody.Error);
        var over = await app.WithScopeAsync(sp => settings(sp).AddStepAsync(NotificationsApp.Finance, new EscalationStepForm { WalletId = wallet, Percent = 120, ChannelId = mail, ToTeamLeads = true }));
        Assert.Equal("A step is a percentage of the limit between 1 and 100 (100: the budget is spent).", over.Error);
        var badAddress = await app.WithScopeAsync(sp => settings(sp).AddStepAsync(NotificationsApp.Finance, new EscalationStepForm { WalletId = wallet, Percent = 90, ChannelId = mail, Addresses = "cfo@x.example, not-an-address" }));
        Assert.Equal("'not-an-address' is not an e-mail address.", badAddress.Error);
    }

    private async Task<DateTime> PeriodStartAsync(Guid wallet)
    {
        await using var db = app.App.OpenDb();
        return await db.Wallets.Where(w => w.Id == wallet).Select(w => w.PeriodStart).SingleAsync();
    }

    private static string[] Recipients(NotificationDelivery d) => [.. AlertAudience.ParseAddresses(d.Recipients).Order()];
}
