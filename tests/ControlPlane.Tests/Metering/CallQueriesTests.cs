using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Metering;

/// <summary>CallQueries over the demo's week of calls (about 1,500), on the running app and a real database.</summary>
public abstract class CallQueriesTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private Task<CallPage> PageAsync(Actor actor, CallFilter filter, int take = CallQueries.MaxPageSize, CallSort? sort = null, CallCursor? after = null, CallCursor? before = null) =>
        App.WithScopeAsync(sp => ActivatorUtilities.GetServiceOrCreateInstance<CallQueries>(sp).PageAsync(actor, filter, sort, take, after, before));

    private Task<CallTotals> TotalsAsync(Actor actor, CallFilter filter) =>
        App.WithScopeAsync(sp => ActivatorUtilities.GetServiceOrCreateInstance<CallQueries>(sp).TotalsAsync(actor, filter));

    /// <summary>Every row the filter matches, page after page by the Next cursor, as the page's Older button walks them.</summary>
    private async Task<List<CallRow>> AllAsync(Actor actor, CallFilter filter, int pageSize = CallQueries.MaxPageSize, CallSort? sort = null)
    {
        var rows = new List<CallRow>();
        CallCursor? after = null;
        while (true)
        {
            var page = await PageAsync(actor, filter, pageSize, sort, after);
            rows.AddRange(page.Rows);
            if (page.Next is null) return rows;
            after = page.Next;
        }
    }

    private async Task<List<CallRecord>> DemoCallsAsync()
    {
        await using var db = App.OpenDb();
        return await db.Calls.AsNoTracking().ToListAsync();
    }

    private async Task<Dictionary<Guid, string>> TeamNamesAsync()
    {
        await using var db = App.OpenDb();
        return await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name);
    }

    [Fact]
    public async Task An_org_wide_role_sees_every_call_newest_first_and_the_totals_are_the_sums_of_the_rows()
    {
        var aria = await App.ActorAsync(DemoOrg.Aria);
        var stored = await DemoCallsAsync();

        var rows = await AllAsync(aria, new CallFilter());
        var totals = await TotalsAsync(aria, new CallFilter());

        Assert.InRange(stored.Count, 1_400, 1_600);
        Assert.Equal(stored.Count, rows.Count);
        Assert.Equal(stored.Select(c => c.Id).Order(), rows.Select(r => r.Id).Order());
        Assert.Equal(rows.OrderByDescending(r => r.At).ThenByDescending(r => r.Id).Select(r => r.Id), rows.Select(r => r.Id));
        Assert.Equal(rows.Count, totals.Calls);
        Assert.Equal(rows.Count(r => r.ErrorClass is not null), totals.Errors);
        Assert.InRange(totals.Errors, 1, rows.Count / 10);
        Assert.Equal(rows.Sum(r => r.InputTokens), totals.InputTokens);
        Assert.Equal(rows.Sum(r => r.CachedInputTokens), totals.CachedInputTokens);
        Assert.Equal(rows.Sum(r => r.OutputTokens), totals.OutputTokens);
        // The cost is summed exactly, as a decimal: the sum of the stored costs to the last digit.
        Assert.Equal(stored.Sum(c => c.Cost), totals.Cost);
        Assert.Equal(rows.Sum(r => r.Cost), totals.Cost);
        Assert.True(totals.Cost > 0m);
        Assert.Equal(0, totals.Unpriced);
    }

    [Fact]
    public async Task Keyset_pages_split_the_filtered_calls_without_gaps_or_repeats_in_both_directions()
    {
        var adam = await App.ActorAsync(DemoOrg.Adam);
        var filter = new CallFilter { Outcome = CallOutcome.Succeeded };

        var first = await PageAsync(adam, filter, 25);
        var second = await PageAsync(adam, filter, 25, after: first.Next);
        var all = await AllAsync(adam, filter, pageSize: 37);
        var backToFirst = await PageAsync(adam, filter, 25, before: second.Previous);
        var totals = await TotalsAsync(adam, filter);

        Assert.Equal(25, first.Rows.Count);
        Assert.Equal(25, second.Rows.Count);
        Assert.Null(first.Previous);
        Assert.NotNull(second.Previous);
        Assert.Equal(all.Take(50).Select(r => r.Id), first.Rows.Concat(second.Rows).Select(r => r.Id));
        Assert.Equal(first.Rows.Select(r => r.Id), backToFirst.Rows.Select(r => r.Id));
        Assert.Null(backToFirst.Previous);
        Assert.Equal(all.Count, all.Select(r => r.Id).Distinct().Count());
        Assert.Equal(all.Count, totals.Calls);
        Assert.Equal(all.Sum(r => r.Cost), totals.Cost);
        Assert.Equal(0, totals.Errors);

        // From the last page, Previous after Previous returns every row once, in order.
        var pages = new List<CallPage>();
        CallCursor? cursor = null;
        do
        {
            var page = await PageAsync(adam, filter, 37, after: cursor);
            pages.Add(page);
            cursor = page.Next;
        }
        while (cursor is not null);
        var back = new List<CallRow>(pages[^1].Rows);
        var previous = pages[^1].Previous;
        while (previous is not null)
        {
            var page = await PageAsync(adam, filter, 37, before: previous);
            back.InsertRange(0, page.Rows);
            previous = page.Previous;
        }
        Assert.Equal(all.Select(r => r.Id), back.Select(r => r.Id));
    }

    [Theory]
    [InlineData(CallSortKey.Cost, true)]
    [InlineData(CallSortKey.Cost, false)]
    [InlineData(CallSortKey.Latency, true)]
    [InlineData(CallSortKey.Latency, false)]
    [InlineData(CallSortKey.At, false)]
    public async Task Sorting_is_done_by_the_database_and_keyset_pages_keep_the_order_without_gaps_or_repeats(CallSortKey key, bool descending)
    {
        var aria = await App.ActorAsync(DemoOrg.Aria);
        var stored = await DemoCallsAsync();
        Func<CallRecord, object?> value = key switch
        {
            CallSortKey.Cost => c => c.Cost,
            CallSortKey.Latency => c => c.LatencyMs,
            _ => c => c.At,
        };
        var sort = new CallSort(key, descending);
        // Compared by (value, time): ties on both may come in either order (Guids order differently in memory).
        var ordered = descending ? stored.OrderByDescending(value).ThenByDescending(c => c.At) : stored.OrderBy(value).ThenBy(c => c.At);
        var expected = ordered.Select(c => (value(c), c.At)).ToList();
        var byId = stored.ToDictionary(c => c.Id);

        var rows = await AllAsync(aria, new CallFilter(), pageSize: 113, sort: sort);

        Assert.Equal(expected, rows.Select(r => (value(byId[r.Id]), r.At)));
        Assert.Equal(stored.Count, rows.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public async Task Mia_Member_sees_only_the_calls_of_Platform_and_Search()
    {
        var mia = await App.ActorAsync(DemoOrg.Mia);
        var names = await TeamNamesAsync();
        var stored = await DemoCallsAsync();
        var hers = stored.Where(c => c.TeamId is { } t && names[t] is "Platform" or "Search").ToList();

        var rows = await AllAsync(mia, new CallFilter());
        var totals = await TotalsAsync(mia, new CallFilter());

        Assert.NotEmpty(rows);
        Assert.Equal(["Platform", "Search"], rows.Select(r => names[r.TeamId!.Value]).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(hers.Select(c => c.Id).Order(), rows.Select(r => r.Id).Order());
        Assert.True(rows.Count < stored.Count);
        Assert.Equal(rows.Count, totals.Calls);
        Assert.Equal(hers.Sum(c => c.Cost), totals.Cost);
        Assert.Equal(hers.Sum(c => c.OutputTokens), totals.OutputTokens);
        Assert.Equal(hers.Count(c => c.ErrorClass is not null), totals.Errors);
    }

    [Fact]
    public async Task A_team_filter_brings_its_subteams_and_never_widens_what_someone_may_see()
    {
        var names = await TeamNamesAsync();
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var mia = await App.ActorAsync(DemoOrg.Mia);

        var engineering = await AllAsync(admin, new CallFilter { TeamId = await App.TeamIdAsync("Engineering") });
        var search = await AllAsync(admin, new CallFilter { TeamId = await App.TeamIdAsync("Search") });
        var miaAsksForSales = await AllAsync(mia, new CallFilter { TeamId = await App.TeamIdAsync("Sales") });
        var miaAsksForEngineering = await AllAsync(mia, new CallFilter { TeamId = await App.TeamIdAsync("Engineering") });

        // The demo's keys belong to Platform, Search and Mobile under Engineering; Engineering itself has none.
        Assert.Equal(["Mobile", "Platform", "Search"], engineering.Select(r => names[r.TeamId!.Value]).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(["Search"], search.Select(r => names[r.TeamId!.Value]).Distinct());
        Assert.Empty(miaAsksForSales);
        // Engineering is not hers, but two of its subteams are: she gets those, never Mobile's.
        Assert.Equal(["Platform", "Search"], miaAsksForEngineering.Select(r => names[r.TeamId!.Value]).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(await AllAsync(mia, new CallFilter()), miaAsksForEngineering);
    }

    [Fact]
    public async Task Filters_on_time_model_outcome_and_caller_match_what_the_rows_say()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var stored = await DemoCallsAsync();
        var now = DateTime.UtcNow;

        var lastDay = await AllAsync(admin, new CallFilter { From = now.AddDays(-1) });
        var dayBefore = await AllAsync(admin, new CallFilter { From = now.AddDays(-2), To = now.AddDays(-1) });
        var gpt = await AllAsync(admin, new CallFilter { Model = "gpt-4o-mini" });
        var failed = await AllAsync(admin, new CallFilter { Outcome = CallOutcome.Failed });
        var succeeded = await TotalsAsync(admin, new CallFilter { Outcome = CallOutcome.Succeeded });
        var support = await AllAsync(admin, new CallFilter { Caller = " SUPPORT-b " });
        var combined = await AllAsync(admin, new CallFilter { From = now.AddDays(-3), Model = "claude-sonnet", Caller = "checkout", Outcome = CallOutcome.Succeeded });

        Assert.NotEmpty(lastDay);
        Assert.All(lastDay, r => Assert.True(r.At >= now.AddDays(-1)));
        Assert.Equal(stored.Count(c => c.At >= now.AddDays(-1)), lastDay.Count);
        Assert.All(dayBefore, r => Assert.True(r.At >= now.AddDays(-2) && r.At < now.AddDays(-1)));
        Assert.Equal(stored.Count(c => c.At >= now.AddDays(-2) && c.At < now.AddDays(-1)), dayBefore.Count);

        Assert.NotEmpty(gpt);
        Assert.All(gpt, r => Assert.Equal("gpt-4o-mini", r.ModelRequested));
        Assert.Equal(stored.Count(c => c.ModelRequested == "gpt-4o-mini"), gpt.Count);

        Assert.NotEmpty(failed);
        Assert.All(failed, r => Assert.NotNull(r.ErrorClass));
        Assert.All(failed, r => Assert.Equal(0m, r.Cost));
        Assert.Equal(stored.Count, failed.Count + succeeded.Calls);
        Assert.Equal(0, succeeded.Errors);

        Assert.NotEmpty(support);
        Assert.All(support, r => Assert.Equal("support-bot", r.Caller));

        Assert.NotEmpty(combined);
        Assert.All(combined, r =>
        {
            Assert.Equal("claude-sonnet", r.ModelRequested);
            Assert.Equal("checkout-service", r.Caller);
            Assert.Null(r.ErrorClass);
            Assert.True(r.At >= now.AddDays(-3));
        });
    }

    [Fact]
    public async Task Caller_text_with_like_wildcards_is_matched_literally()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);

        var percent = await TotalsAsync(admin, new CallFilter { Caller = "%" });
        var underscore = await TotalsAsync(admin, new CallFilter { Caller = "checkout_service" });

        Assert.Equal(0, percent.Calls);
        Assert.Equal(0, underscore.Calls);
        Assert.Equal(CallTotals.None, percent);
    }

    [Fact]
    public async Task The_model_choices_are_the_models_asked_for_in_the_last_week_of_calls_the_actor_may_see()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var sam = await App.ActorAsync(DemoOrg.Sam);
        var names = await TeamNamesAsync();
        var stored = await DemoCallsAsync();
        var recent = stored.Where(c => c.At >= DateTime.UtcNow.AddDays(-7).AddMinutes(5)).ToList();

        var all = await App.WithScopeAsync(sp => ActivatorUtilities.GetServiceOrCreateInstance<CallQueries>(sp).ModelsAsync(admin));
        var sams = await App.WithScopeAsync(sp => ActivatorUtilities.GetServiceOrCreateInstance<CallQueries>(sp).ModelsAsync(sam));

        Assert.Subset(all.ToHashSet(), recent.Select(c => c.ModelRequested!).ToHashSet());
        Assert.Subset(stored.Select(c => c.ModelRequested!).ToHashSet(), all.ToHashSet());
        Assert.Contains("text-embedding-3-small", all);
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Subset(sams.ToHashSet(), recent.Where(c => names[c.TeamId!.Value] == "Sales").Select(c => c.ModelRequested!).ToHashSet());
        Assert.Subset(stored.Where(c => names[c.TeamId!.Value] == "Sales").Select(c => c.ModelRequested!).ToHashSet(), sams.ToHashSet());
    }

    [Fact]
    public async Task A_row_carries_what_the_details_show()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        await using var db = App.OpenDb();
        var streamed = await db.Calls.AsNoTracking().Where(c => c.Streamed && c.ErrorClass == null).OrderByDescending(c => c.At).FirstAsync();

        // PostgreSQL keeps microseconds: a window of one tick would round to nothing.
        var row = Assert.Single(await AllAsync(admin, new CallFilter { From = streamed.At, To = streamed.At.AddMilliseconds(1) }), r => r.Id == streamed.Id);

        Assert.Equal($"req_{streamed.Id:N}", row.RequestId);
        Assert.Equal(streamed.RouteReason, row.RouteReason);
        Assert.Equal(streamed.RequestBytes, row.RequestBytes);
        Assert.Equal(streamed.ResponseBytes, row.ResponseBytes);
        Assert.Equal(streamed.Cost, row.Cost);
        Assert.Equal(streamed.KeyId, row.KeyId);
        Assert.Equal(streamed.TimeToFirstTokenMs, row.TimeToFirstTokenMs);
        Assert.Equal(streamed.OutputTokensPerSecond, row.OutputTokensPerSecond);
        Assert.Equal(UsageSource.Provider, row.UsageSource);
        Assert.False(row.Failed);
    }
}

public sealed class CallQueriesTests_on_Sqlite(SqliteApp f) : CallQueriesTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class CallQueriesTests_on_Postgres(PostgresApp f) : CallQueriesTests<PostgresApp>(f), IClassFixture<PostgresApp>;

public sealed class UsdFormatTests
{
    [Theory]
    [InlineData("0", "$0.00")]
    [InlineData("0.15", "$0.15")]
    [InlineData("2.5", "$2.50")]
    [InlineData("0.075", "$0.075")]
    [InlineData("0.000123", "$0.000123")]
    [InlineData("0.0000004", "$0.00")]
    [InlineData("0.0012345678", "$0.001235")]
    [InlineData("12345.678901", "$12345.678901")]
    public void Dollars_show_cents_and_every_further_digit_up_to_six(string amount, string shown) =>
        Assert.Equal(shown, Usd.Format(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));
}
