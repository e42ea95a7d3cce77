using System.Globalization;
using System.Net;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Wallets;

/// <summary>The chargeback over the demo's week of calls: sums per team, the total, the date range, and the CSV endpoint.</summary>
public abstract class ChargebackExportTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    private Task<IReadOnlyList<ChargebackLine>> LinesAsync(DateOnly from, DateOnly to, Guid? team = null) =>
        App.WithScopeAsync(sp => sp.GetRequiredService<ChargebackExport>().LinesAsync(from, to, team));

    [Fact]
    public async Task Each_team_line_is_the_sum_of_that_teams_own_calls_and_the_total_their_sum()
    {
        var from = Today.AddDays(-30);
        var lines = await LinesAsync(from, Today);

        await using var db = App.OpenDb();
        var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = Today.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var calls = await db.Calls.AsNoTracking().Where(c => c.TeamId != null && c.At >= start && c.At < end).ToListAsync();
        Assert.NotEmpty(calls);
        var expected = calls.GroupBy(c => c.TeamId!.Value).ToDictionary(g => g.Key);
        Assert.Equal(expected.Keys.Order(), lines.Select(l => l.TeamId!.Value).Order());
        foreach (var line in lines)
        {
            var own = expected[line.TeamId!.Value];
            Assert.Equal(own.Count(), line.Calls);
            Assert.Equal(own.Sum(c => c.InputTokens), line.InputTokens);
            Assert.Equal(own.Sum(c => c.CachedInputTokens), line.CachedInputTokens);
            Assert.Equal(own.Sum(c => c.OutputTokens), line.OutputTokens);
            Assert.Equal(own.Sum(c => c.Cost), line.Cost);
            Assert.Equal(own.Min(c => c.At), line.FirstCall, TimeSpan.FromMilliseconds(1));
            Assert.Equal(own.Max(c => c.At), line.LastCall, TimeSpan.FromMilliseconds(1));
        }
        // Sorted by team path, paths as the team tree spells them.
        Assert.Equal(lines.Select(l => l.TeamPath).Order(StringComparer.OrdinalIgnoreCase), lines.Select(l => l.TeamPath));
        Assert.Contains(lines, l => l.TeamPath == "Engineering / Platform / Search");

        var total = ChargebackExport.Total(lines)!;
        Assert.Equal(calls.Count, total.Calls);
        Assert.Equal(calls.Sum(c => c.Cost), total.Cost);
        Assert.Equal(lines.Sum(l => l.Cost), total.Cost);
        Assert.Equal(lines.Sum(l => l.OutputTokens), total.OutputTokens);
    }

    [Fact]
    public async Task The_date_range_leaves_out_calls_outside_it_and_a_team_brings_its_subteams_each_on_its_own_line()
    {
        var day = Today.AddDays(-2);
        var lines = await LinesAsync(day, day);

        await using var db = App.OpenDb();
        var start = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var inDay = await db.Calls.AsNoTracking().Where(c => c.TeamId != null && c.At >= start && c.At < start.AddDays(1)).ToListAsync();
        Assert.Equal(inDay.Count, lines.Sum(l => l.Calls));
        Assert.Equal(inDay.Sum(c => c.Cost), lines.Sum(l => l.Cost));
        Assert.All(lines, l => Assert.True(l.FirstCall >= start && l.LastCall < start.AddDays(1)));
        Assert.True(await db.Calls.AnyAsync(c => c.TeamId != null && (c.At < start || c.At >= start.AddDays(1))), "the demo has calls on other days");
        Assert.Empty(await LinesAsync(Today.AddDays(-400), Today.AddDays(-370)));

        var engineering = await App.TeamIdAsync("Engineering");
        var subtree = TeamTree.WithDescendants(await db.Teams.AsNoTracking().ToListAsync(), [engineering]);
        var narrowed = await LinesAsync(Today.AddDays(-30), Today, engineering);
        Assert.NotEmpty(narrowed);
        Assert.All(narrowed, l => Assert.Contains(l.TeamId!.Value, subtree));
        Assert.All(narrowed, l => Assert.StartsWith("Engineering", l.TeamPath, StringComparison.Ordinal));
        Assert.True(narrowed.Select(l => l.TeamId).Distinct().Count() == narrowed.Count);
    }

    [Theory]
    [InlineData("2026-11-30", "2026-11-01", "The start date is after the end date.")]
    [InlineData("2025-01-01", "2026-01-02", "A chargeback covers at most 366 days.")]
    [InlineData("2024-01-01", "2024-12-31", null)]
    [InlineData("2026-11-01", "2026-11-01", null)]
    public void The_range_is_checked(string from, string to, string? problem) =>
        Assert.Equal(problem, ChargebackExport.Validate(DateOnly.Parse(from, CultureInfo.InvariantCulture), DateOnly.Parse(to, CultureInfo.InvariantCulture)));

    [Fact]
    public async Task Finance_downloads_the_csv_with_a_header_the_lines_and_the_total()
    {
        using var client = App.CreateBrowserClient();
        await client.SignInAsync(DemoOrg.Fiona);
        var from = Today.AddDays(-30);

        var response = await client.GetAsync(WalletsEndpoints.ChargebackUrl(from, Today));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition!.ToString(), StringComparison.Ordinal);
        var rows = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(",", ChargebackExport.Header), rows[0]);
        var lines = await LinesAsync(from, Today);
        Assert.Equal(lines.Count + 2, rows.Length);
        var total = rows[^1].Split(',');
        Assert.Equal("Total", total[0]);
        Assert.Equal("", total[1]);
        Assert.Equal(lines.Sum(l => l.Calls).ToString(CultureInfo.InvariantCulture), total[2]);
        Assert.Equal(lines.Sum(l => l.Cost), decimal.Parse(total[6], CultureInfo.InvariantCulture));
        var csvCosts = rows[1..^1].Select(r => decimal.Parse(r.Split(',')[6], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(lines.Select(l => l.Cost), csvCosts); // full precision, invariant culture
    }

    [Theory]
    [InlineData("from=2026-11-30&to=2026-11-01", "The start date is after the end date.")]
    [InlineData("from=2025-01-01&to=2026-06-30", "A chargeback covers at most 366 days.")]
    [InlineData("from=yesterday&to=2026-11-01", "Give the range as from=yyyy-MM-dd and to=yyyy-MM-dd (UTC days, both included).")]
    [InlineData("from=2026-11-01&to=2026-11-30&team=sales", "The team is a team id.")]
    public async Task A_bad_range_is_a_400_in_words(string query, string message)
    {
        using var client = App.CreateBrowserClient();
        await client.SignInAsync(DemoOrg.Fiona);

        var response = await client.GetAsync($"{WalletsEndpoints.ChargebackPath}?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_member_is_refused_the_chargeback()
    {
        using var client = App.CreateBrowserClient();
        await client.SignInAsync(DemoOrg.Mia);

        var response = await client.GetAsync(WalletsEndpoints.ChargebackUrl(Today.AddDays(-7), Today));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/access-denied", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }
}

public sealed class ChargebackExportTests_on_Sqlite(SqliteApp f) : ChargebackExportTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class ChargebackExportTests_on_Postgres(PostgresApp f) : ChargebackExportTests<PostgresApp>(f), IClassFixture<PostgresApp>;
