using AngleSharp.Dom;
using Bunit;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Components;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Metering;

/// <summary>The Requests page rendered with bUnit over the demo's week of calls: keyset paging, sorting and filters through the URL, scoping and the drawer.</summary>
public sealed class CallsPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    private const string Time = "yyyy-MM-dd HH:mm:ss.fff";
    private static readonly string[] HerTeams = ["Platform", "Search"];

    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    private async Task<IRenderedComponent<CallsPage>> OpenAsync(string email, string url = "/calls", int rows = 25)
    {
        await SignInAsAsync(email);
        Render<MudPopoverProvider>();
        Render<MudDialogProvider>();
        Navigation.NavigateTo(url);
        var page = Render<CallsPage>();
        page.WaitForAssertion(() => Assert.Equal(rows, Rows(page).Count));
        return page;
    }

    /// <summary>The page's view as its URL says (what a shared link or the back button brings back).</summary>
    private CallView UrlView() => CallView.Parse(new Uri(Navigation.Uri).Query);

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

    private static void NextPage(IRenderedComponent<CallsPage> page) => page.Find("[data-testid=calls-next]").Click();

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
    public async Task Ordering_by_cost_is_done_by_the_database_over_every_call_and_goes_into_the_url()
    {
        var page = await OpenAsync("adam.admin@acme.test");
        var order = page.FindComponents<MudSelect<CallSort>>().Single();

        await order.InvokeAsync(() => order.Instance.SelectOption(new CallSort(CallSortKey.Cost, false)));
        var calls = await LastWeekAsync();
        page.WaitForAssertion(() => Assert.Equal(calls.Select(c => c.Cost).Order().Take(25).Select(Usd.Format), CostsShown(page)));
        Assert.Equal(new CallSort(CallSortKey.Cost, false), UrlView().Sort);

        await order.InvokeAsync(() => order.Instance.SelectOption(new CallSort(CallSortKey.Cost, true)));
        page.WaitForAssertion(() => Assert.Equal(calls.Select(c => c.Cost).OrderDescending().Take(25).Select(Usd.Format), CostsShown(page)));

        NextPage(page);
        page.WaitForAssertion(() => Assert.Equal(calls.Select(c => c.Cost).OrderDescending().Skip(25).Take(25).Select(Usd.Format), CostsShown(page)));
        Assert.NotNull(UrlView().After);
    }

    private static List<string> CostsShown(IRenderedComponent<CallsPage> page) =>
        [.. Rows(page).Select(r => r.QuerySelector("[data-testid=call-cost]")!.TextContent)];

    [Fact]
    public async Task The_errors_filter_asks_the_server_for_failed_calls_only_and_starts_again_at_the_first_page()
    {
        var page = await OpenAsync("adam.admin@acme.test");
        NextPage(page);
        page.WaitForAssertion(() => Assert.NotNull(UrlView().After));
        Assert.False(page.Find("[data-testid=calls-previous]").HasAttribute("disabled"));

        page.FindAll("[data-testid=filter-outcome] button, [data-testid=filter-outcome] .mud-toggle-item").First(b => b.TextContent.Trim() == "Errors").Click();

        var failed = (await LastWeekAsync()).Where(c => c.ErrorClass is not null).OrderByDescending(c => c.At).ToList();
        page.WaitForAssertion(() => Assert.Equal(failed.Take(25).Select(c => c.At.ToString(Time)), TimesShown(page)));
        Assert.All(page.FindAll("[data-testid=call-status]"), status => Assert.Matches(@"^\d{3} \w+", status.TextContent.Trim()));
        Assert.InRange(TotalCalls(page), 1, failed.Count + 1);
        Assert.Null(UrlView().After);
        Assert.Equal(CallOutcome.Failed, UrlView().Filter.Outcome);
        page.WaitForAssertion(() => Assert.True(page.Find("[data-testid=calls-previous]").HasAttribute("disabled")));
    }

    [Fact]
    public async Task A_shared_link_opens_with_its_filters_and_the_fields_follow_the_url_when_it_changes()
    {
        var calls = await LastWeekAsync();
        var gptErrors = calls.Where(c => c.ModelRequested == "gpt-4o-mini" && c.ErrorClass is null && c.Streamed).OrderByDescending(c => c.At).ToList();
        var page = await OpenAsync("adam.admin@acme.test", "/calls?model=gpt-4o-mini&outcome=success&streamed=yes&size=50", rows: Math.Min(50, gptErrors.Count));

        Assert.Equal(gptErrors.Take(50).Select(c => c.At.ToString(Time)), TimesShown(page));
        Assert.Equal("gpt-4o-mini", InputOf(page, "filter-model").GetAttribute("value"));
        Assert.Equal(50, UrlView().PageSize);

        // The back button: the URL goes back to the plain view, and so do the rows and the fields.
        Navigation.NavigateTo("/calls");
        page.WaitForAssertion(() => Assert.Equal(calls.OrderByDescending(c => c.At).Take(25).Select(c => c.At.ToString(Time)), TimesShown(page)));
        page.WaitForAssertion(() => Assert.True(string.IsNullOrEmpty(InputOf(page, "filter-model").GetAttribute("value"))));
    }

    [Fact]
    public async Task A_refusal_row_that_counts_several_refusals_shows_times_its_count()
    {
        await using (var db = App.App.OpenDb())
        {
            db.Calls.Add(new CallRecord
            {
                Id = Guid.NewGuid(), At = DateTime.UtcNow.AddDays(-9), Endpoint = "chat", Status = 401, ErrorClass = "key_revoked", Caller = "refusal-counting-probe",
                UsageSource = UsageSource.None, Count = 17, TeamId = await db.Teams.Where(t => t.Name == "Search").Select(t => t.Id).SingleAsync(),
            });
            await db.SaveChangesAsync();
        }

        // Nine days back: outside the week the other tests count.
        var page = await OpenAsync("adam.admin@acme.test", "/calls?range=all&caller=refusal-counting-probe", rows: 1);

        Assert.Equal("× 17", page.Find("[data-testid=call-count]").TextContent.Trim());
        page.WaitForAssertion(() => Assert.Equal(17, TotalCalls(page)));
    }

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

        page.Find("[data-testid=filter-caller]").Input("BOT"); // a debounced field: it listens to input

        var bots = search.Where(c => c.Caller is { } caller && caller.Contains("bot", StringComparison.OrdinalIgnoreCase)).OrderByDescending(c => c.At).ToList();
        page.WaitForAssertion(() => Assert.Equal(bots.Take(25).Select(c => c.At.ToString(Time)), TimesShown(page)));
        Assert.InRange(TotalCalls(page), bots.Count - 1, bots.Count);
    }

    [Fact]
    public async Task A_row_opens_the_call_in_a_drawer_with_its_route_prices_and_timings_and_close_closes_it()
    {
        var page = await OpenAsync("adam.admin@acme.test", "/calls?outcome=success&streamed=yes");
        await using var db = App.App.OpenDb();
        var since = DateTime.UtcNow.AddDays(-7);
        var newest = await db.Calls.AsNoTracking().Where(c => c.At >= since && c.ErrorClass == null && c.Streamed).OrderByDescending(c => c.At).FirstAsync();
        var price = (await db.Prices.AsNoTracking().Where(p => p.ProviderId == newest.ProviderId && p.UpstreamModel == newest.ModelServed).ToListAsync())
            .Where(p => p.EffectiveFrom <= newest.At).MaxBy(p => p.EffectiveFrom)!;

        Rows(page)[0].Click();

        page.WaitForAssertion(() => Assert.Equal($"req_{newest.Id:N}", page.Find("[data-testid=call-request-id]").TextContent));
        Assert.Equal(newest.RouteReason ?? "—", page.Find("[data-testid=call-route]").TextContent);
        Assert.Contains($"{newest.RequestBytes:N0} sent", page.Find("[data-testid=call-bytes]").TextContent, StringComparison.Ordinal);
        Assert.Contains($"Call at {newest.At:yyyy-MM-dd HH:mm:ss} UTC", page.Markup, StringComparison.Ordinal);
        Assert.Contains($"{Usd.Format(price.InputPerMillion)} in", page.Find("[data-testid=call-prices]").TextContent, StringComparison.Ordinal);
        Assert.Contains($"{Usd.Format(price.OutputPerMillion)} out", page.Find("[data-testid=call-prices]").TextContent, StringComparison.Ordinal);
        Assert.Contains($"first token after {newest.TimeToFirstTokenMs:N0} ms", page.Find("[data-testid=call-timing]").TextContent, StringComparison.Ordinal);
        Assert.Contains($"{newest.CachedInputTokens:N0} cached", page.Find("[data-testid=call-tokens]").TextContent, StringComparison.Ordinal);
        Assert.Contains("no failover", page.Find("[data-testid=call-retries]").TextContent, StringComparison.Ordinal);

        page.Find("[data-testid=call-close]").Click();

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=call-details]")));
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
