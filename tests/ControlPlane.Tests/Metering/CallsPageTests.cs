using AngleSharp.Dom;
using Bunit;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Metering;

/// <summary>The Calls page rendered with bUnit over the demo's week of calls: server paging, sorting, scoping and details.</summary>
public sealed class CallsPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    private const string Time = "yyyy-MM-dd HH:mm:ss.fff";
    private static readonly string[] HerTeams = ["Platform", "Search"];

    private IRenderedComponent<MudDialogProvider> dialogs = default!;

    private async Task<IRenderedComponent<CallsPage>> OpenAsync(string email)
    {
        await SignInAsAsync(email);
        Render<MudPopoverProvider>();
        dialogs = Render<MudDialogProvider>();
        var page = Render<CallsPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Rows(page).Count));
        return page;
    }

    private static IReadOnlyList<IElement> Rows(IRenderedComponent<CallsPage> page) =>
        [.. page.FindAll("[data-testid=calls-grid] tbody tr").Where(r => r.QuerySelector("[data-testid=call-at]") is not null)];

    /// <summary>The exact time of each row shown (the row's time cell carries it to the millisecond).</summary>
    private static List<string> TimesShown(IRenderedComponent<CallsPage> page) =>
        [.. Rows(page).Select(r => r.QuerySelector("[data-testid=call-at]")!.GetAttribute("title")!)];

    private static int TotalCalls(IRenderedComponent<CallsPage> page) =>
        int.Parse(page.Find("[data-testid=total-calls] [data-testid=total-value]").TextContent, System.Globalization.NumberStyles.AllowThousands,
            System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The calls of the last seven days (the page's default range) of these teams, or of all teams.</summary>
    private async Task<List<CallRecord>> LastWeekAsync(params string[] teams)
    {
        await using var db = App.App.OpenDb();
        var since = DateTime.UtcNow.AddDays(-7);
        var ids = await db.Teams.Where(t => teams.Contains(t.Name)).Select(t => t.Id).ToListAsync();
        var calls = db.Calls.AsNoTracking().Where(c => c.At >= since);
        if (teams.Length > 0) calls = calls.Where(c => c.TeamId != null && ids.Contains(c.TeamId.Value));
        return await calls.ToListAsync();
    }

    private static void NextPage(IRenderedComponent<CallsPage> page) =>
        page.FindAll("[data-testid=calls-grid] .mud-table-pagination-actions button")
            .Single(b => b.GetAttribute("aria-label")?.Contains("Next", StringComparison.OrdinalIgnoreCase) == true).Click();

    [Fact]
    public async Task A_member_sees_only_her_teams_calls_and_page_two_brings_the_next_of_them_from_the_server()
    {
        var before = await LastWeekAsync("Platform", "Search");
        var page = await OpenAsync("mia.member@acme.test");
        var after = await LastWeekAsync("Platform", "Search");
        var hers = after.OrderByDescending(c => c.At).Select(c => c.At.ToString(Time)).ToList();

        Assert.Contains("your teams", page.Find("[data-testid=calls-scope]").TextContent, StringComparison.Ordinal);
        Assert.All(page.FindAll("[data-testid=call-team]"), team => Assert.Contains(team.TextContent.Trim(), HerTeams));
        Assert.Equal(hers.Take(25), TimesShown(page));
        // The totals are over every call of hers in the range, not the page (a call may leave the range meanwhile).
        Assert.InRange(TotalCalls(page), after.Count, before.Count);

        NextPage(page);

        page.WaitForAssertion(() => Assert.Equal(hers.Skip(25).Take(25), TimesShown(page)));
        Assert.All(page.FindAll("[data-testid=call-team]"), team => Assert.Contains(team.TextContent.Trim(), HerTeams));
    }

    [Fact]
    public async Task Sorting_by_cost_is_done_by_the_database_over_every_call_not_only_the_page_shown()
    {
        var page = await OpenAsync("adam.admin@acme.test");
        var costHeader = page.FindAll("[data-testid=calls-grid] th .sortable-column-header").Single(h => h.TextContent.Trim() == "Cost");

        costHeader.Click(); // ascending first
        var calls = await LastWeekAsync();
        page.WaitForAssertion(() => Assert.Equal(calls.Select(c => c.Cost).Order().Take(25).Select(Usd.Format), CostsShown(page)));

        page.FindAll("[data-testid=calls-grid] th .sortable-column-header").Single(h => h.TextContent.Trim() == "Cost").Click();
        page.WaitForAssertion(() => Assert.Equal(calls.Select(c => c.Cost).OrderDescending().Take(25).Select(Usd.Format), CostsShown(page)));

        NextPage(page);
        page.WaitForAssertion(() => Assert.Equal(calls.Select(c => c.Cost).OrderDescending().Skip(25).Take(25).Select(Usd.Format), CostsShown(page)));
    }

    private static List<string> CostsShown(IRenderedComponent<CallsPage> page) =>
        [.. Rows(page).Select(r => r.QuerySelector("[data-testid=call-cost]")!.TextContent)];

    [Fact]
    public async Task The_errors_filter_asks_the_server_for_failed_calls_only_and_starts_again_at_page_one()
    {
        var page = await OpenAsync("adam.admin@acme.test");
        NextPage(page);
        page.WaitForAssertion(() => Assert.StartsWith("26–50 of ", PagerInfo(page), StringComparison.Ordinal));

        page.FindAll("[data-testid=filter-outcome] button, [data-testid=filter-outcome] .mud-toggle-item").First(b => b.TextContent.Trim() == "Errors").Click();

        var failed = (await LastWeekAsync()).Where(c => c.ErrorClass is not null).OrderByDescending(c => c.At).ToList();
        page.WaitForAssertion(() => Assert.Equal(failed.Take(25).Select(c => c.At.ToString(Time)), TimesShown(page)));
        Assert.All(page.FindAll("[data-testid=call-status]"), status => Assert.Matches(@"^\d{3} \w+", status.TextContent.Trim()));
        Assert.InRange(TotalCalls(page), 1, failed.Count + 1);
        Assert.StartsWith("1–25 of ", PagerInfo(page), StringComparison.Ordinal);
    }

    private static string PagerInfo(IRenderedComponent<CallsPage> page) =>
        page.FindAll("[data-testid=calls-grid] .mud-table-pagination-caption").Select(c => c.TextContent.Trim()).Last(t => t.EndsWith(" calls", StringComparison.Ordinal));

    [Fact]
    public async Task The_team_and_caller_filters_narrow_the_rows_and_totals_in_the_query()
    {
        var page = await OpenAsync("leo.lead@acme.test");
        var search = await LastWeekAsync("Search");
        var teamFilter = page.FindComponents<MudSelect<Guid?>>().Single(s => s.Instance.Label == "Team (with subteams)");
        await using (var db = App.App.OpenDb())
        {
            var searchId = await db.Teams.Where(t => t.Name == "Search").Select(t => t.Id).SingleAsync();
            await teamFilter.InvokeAsync(() => teamFilter.Instance.SelectOption((Guid?)searchId));
        }

        page.WaitForAssertion(() => Assert.Equal(search.OrderByDescending(c => c.At).Take(25).Select(c => c.At.ToString(Time)), TimesShown(page)));
        Assert.All(page.FindAll("[data-testid=call-team]"), team => Assert.Equal("Search", team.TextContent.Trim()));
        Assert.InRange(TotalCalls(page), search.Count - 1, search.Count); // a call may leave the week meanwhile

        page.Find("[data-testid=filter-caller]").Change("BOT");

        var bots = search.Where(c => c.Caller is { } caller && caller.Contains("bot", StringComparison.OrdinalIgnoreCase)).OrderByDescending(c => c.At).ToList();
        page.WaitForAssertion(() => Assert.Equal(bots.Take(25).Select(c => c.At.ToString(Time)), TimesShown(page)));
        Assert.InRange(TotalCalls(page), bots.Count - 1, bots.Count);
    }

    [Fact]
    public async Task A_row_opens_the_calls_details_in_a_dialog_and_close_closes_it()
    {
        var page = await OpenAsync("adam.admin@acme.test");
        var newest = (await LastWeekAsync()).MaxBy(c => c.At)!;

        Rows(page)[0].Click();

        dialogs.WaitForAssertion(() => Assert.Equal($"req_{newest.Id:N}", dialogs.Find("[data-testid=call-request-id]").TextContent));
        Assert.Equal(newest.RouteReason ?? "—", dialogs.Find("[data-testid=call-route]").TextContent);
        Assert.Contains($"{newest.RequestBytes:N0} sent", dialogs.Find("[data-testid=call-bytes]").TextContent, StringComparison.Ordinal);
        Assert.Contains($"Call at {newest.At:yyyy-MM-dd HH:mm:ss} UTC", dialogs.Markup, StringComparison.Ordinal);

        dialogs.Find("[data-testid=call-close]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=call-details]")));
    }

    [Fact]
    public async Task Refresh_reloads_the_calls_and_says_so_in_a_snackbar()
    {
        var page = await OpenAsync("aria.auditor@acme.test");
        Assert.Empty(page.FindAll("[data-testid=calls-scope]")); // an org-wide role: every team's calls

        page.Find("[data-testid=calls-refresh]").Click();

        var snackbars = Services.GetRequiredService<ISnackbar>();
        page.WaitForAssertion(() => Assert.Contains(snackbars.ShownSnackbars, s => s.Severity == Severity.Info && (s.Message ?? "").StartsWith("Calls reloaded:", StringComparison.Ordinal)));
        Assert.Equal(25, Rows(page).Count);
    }
}
