using System.Globalization;
using ControlPlane.Features.Digests;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.People;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Tests.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ControlPlane.Tests.Digests;

/// <summary>
/// A digest's "yesterday" is the organisation's: calls just before and just after local midnight land on the right
/// side of it, in a half-hour zone (Asia/Kolkata: the day starts at 18:30 UTC, inside a UTC hour whose rollup holds
/// calls of both days) and in a zone west of UTC (America/New_York). The clock jumps 400 days first, past everything else.
/// </summary>
public abstract class DigestTimeZoneTests<TApp>(TApp app) where TApp : NotificationsApp
{
    private static readonly Actor Finance = new(null, "tz-finance@test.example", Roles.FinanceAdmin);

    private sealed record Day(DateTime Now, TimeZoneInfo Zone, DateTime Yesterday, DateTime Today, string Tag);

    /// <summary>
    /// Yesterday (local): 1.00 at 00:10, 2.00 at 12:00, 4.00 at 23:50. Today: 8.00 at 00:10. The day before: 16.00 at
    /// 23:50 and 32.00 at 00:10. Before that: 64.00 at 23:50.
    /// </summary>
    private async Task<Day> SeedAsync(string zoneId)
    {
        app.Clock.Advance(TimeSpan.FromDays(400));
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var today = WalletPeriods.StartOf(WalletPeriods.Daily, now, zone);
        var yesterday = WalletPeriods.StartOf(WalletPeriods.Daily, today.AddTicks(-1), zone);
        var dayBefore = WalletPeriods.StartOf(WalletPeriods.Daily, yesterday.AddTicks(-1), zone);
        var tag = Guid.NewGuid().ToString("N")[..6];
        var minutes = TimeSpan.FromMinutes(10);
        await using (var db = app.App.OpenDb())
        {
            Call(db, yesterday + minutes, 1.00m, $"early-{tag}");
            Call(db, yesterday.AddHours(12), 2.00m, $"noon-{tag}");
            Call(db, today - minutes, 4.00m, $"late-{tag}");
            Call(db, today + minutes, 8.00m, $"today-{tag}");
            Call(db, yesterday - minutes, 16.00m, $"before-late-{tag}");
            Call(db, dayBefore + minutes, 32.00m, $"before-early-{tag}");
            Call(db, dayBefore - minutes, 64.00m, $"older-{tag}");
            await db.SaveChangesAsync();
        }
        await app.App.Services.GetRequiredService<CallRollups>().RebuildAsync(dayBefore.AddDays(-1), today.AddDays(2));
        return new Day(now, zone, yesterday, today, tag);
    }

    private static void Call(ControlPlaneDb db, DateTime at, decimal cost, string model) => db.Calls.Add(new CallRecord
    {
        Id = Guid.CreateVersion7(new DateTimeOffset(at, TimeSpan.Zero)), At = at, Endpoint = "chat", ModelRequested = model, ModelServed = model,
        Caller = "tz-bot", Status = 200, InputTokens = 100, OutputTokens = 10, Cost = cost, UsageSource = UsageSource.Provider, LatencyMs = 100,
    });

    private async Task AssertLocalYesterdayAsync(string zoneId)
    {
        var day = await SeedAsync(zoneId);
        var period = DigestPeriod.Daily(day.Now, day.Zone);
        Assert.Equal((day.Yesterday, day.Today), (period.From, period.To));

        var report = await app.WithScopeAsync(sp => sp.GetRequiredService<DigestBuilder>().BuildAsync(Finance, period));

        Assert.Equal(7.00m, report.Spend); // 1 + 2 + 4: not today's 8, not the day before's 16
        Assert.Equal(3, report.Calls);
        Assert.Equal(48.00m, report.PreviousSpend); // 16 + 32: not the 64 before it
        Assert.Equal([$"late-{day.Tag}", $"noon-{day.Tag}", $"early-{day.Tag}"], report.TopModels.Select(m => m.Name).ToArray());
        Assert.Equal(7.00m, Assert.Single(report.Top.Callers).Cost);
        var label = TimeZoneInfo.ConvertTimeFromUtc(day.Yesterday, day.Zone).ToString("ddd d MMM yyyy", CultureInfo.InvariantCulture);
        Assert.StartsWith($"Daily AI spend digest, {label}: $7.00", report.Subject, StringComparison.Ordinal);
        Assert.StartsWith($"The whole organisation, {label}.", report.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("UTC", report.Body, StringComparison.Ordinal);
    }

    [Fact]
    public Task In_Asia_Kolkata_yesterday_runs_from_local_midnight_to_local_midnight_across_half_hours() => AssertLocalYesterdayAsync("Asia/Kolkata");

    [Fact]
    public Task In_America_New_York_yesterday_runs_from_local_midnight_to_local_midnight() => AssertLocalYesterdayAsync("America/New_York");

    [Fact]
    public async Task The_job_claims_the_organisations_yesterday()
    {
        var day = await SeedAsync("Asia/Kolkata");
        using var scope = app.App.Services.CreateScope();
        var job = ActivatorUtilities.CreateInstance<DigestJob>(scope.ServiceProvider,
            Options.Create(new OrganisationOptions { TimeZone = "Asia/Kolkata" }));

        await job.SendDueAsync();

        await using var db = app.App.OpenDb();
        var sends = await db.Set<DigestSend>().AsNoTracking().Where(s => s.Reader == DigestJob.ChannelsReader && s.Cadence == DigestCadences.Daily).ToListAsync();
        Assert.Contains(sends, s => DateTime.SpecifyKind(s.PeriodStart, DateTimeKind.Utc) == day.Yesterday);
        Assert.Equal(30, day.Yesterday.Minute); // 18:30 UTC: Kolkata's midnight, not a UTC day
    }
}

public sealed class SqliteDigestTimeZoneTests(SqliteNotificationsApp app) : DigestTimeZoneTests<SqliteNotificationsApp>(app), IClassFixture<SqliteNotificationsApp>;

public sealed class PostgresDigestTimeZoneTests(PostgresNotificationsApp app) : DigestTimeZoneTests<PostgresNotificationsApp>(app), IClassFixture<PostgresNotificationsApp>;

/// <summary>Digest periods as local calendar days, without a database.</summary>
public sealed class DigestPeriodTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    [Fact]
    public void A_day_that_ends_summer_time_is_25_hours_long()
    {
        // 1 Nov 2026: New York's clocks go back at 02:00 local.
        var period = DigestPeriod.Daily(new DateTime(2026, 11, 2, 12, 0, 0, DateTimeKind.Utc), NewYork);
        Assert.Equal(new DateTime(2026, 11, 1, 4, 0, 0, DateTimeKind.Utc), period.From);
        Assert.Equal(new DateTime(2026, 11, 2, 5, 0, 0, DateTimeKind.Utc), period.To);
        Assert.Equal("Sun 1 Nov 2026", period.Label);
        Assert.Equal(new DateTime(2026, 10, 31, 4, 0, 0, DateTimeKind.Utc), period.Previous.From);
    }

    [Fact]
    public void Yesterday_is_the_local_one_even_when_the_utc_date_is_already_tomorrow()
    {
        // 02:00 UTC on Wed 2 Dec is still Tue 1 Dec, 21:00, in New York: yesterday there is Mon 30 Nov.
        var period = DigestPeriod.Daily(new DateTime(2026, 12, 2, 2, 0, 0, DateTimeKind.Utc), NewYork);
        Assert.Equal("Mon 30 Nov 2026", period.Label);
        Assert.Equal(new DateTime(2026, 11, 30, 5, 0, 0, DateTimeKind.Utc), period.From);
    }

    [Fact]
    public void Last_week_runs_from_local_monday_to_local_monday()
    {
        var kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        // Sun 6 Dec 2026, 20:00 UTC is already Mon 7 Dec, 01:30, in Kolkata: last week there is 30 Nov – 6 Dec.
        var period = DigestPeriod.Weekly(new DateTime(2026, 12, 6, 20, 0, 0, DateTimeKind.Utc), kolkata);
        Assert.Equal(new DateTime(2026, 11, 29, 18, 30, 0, DateTimeKind.Utc), period.From);
        Assert.Equal(new DateTime(2026, 12, 6, 18, 30, 0, DateTimeKind.Utc), period.To);
        Assert.Equal("30 Nov – 6 Dec 2026", period.Label);
    }
}
