using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// The Requests page's queries on a real database: keyset pages while new calls arrive, and every filter against
/// what the stored rows say (probe rows of known values are added beside the demo's week).
/// </summary>
public abstract class RequestsQueryTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private Task<CallPage> PageAsync(Actor actor, CallFilter filter, int take, CallCursor? after = null, CallCursor? before = null) =>
        App.WithScopeAsync(sp => ActivatorUtilities.GetServiceOrCreateInstance<CallQueries>(sp).PageAsync(actor, filter, CallSort.Newest, take, after, before));

    private async Task<List<CallRow>> AllAsync(Actor actor, CallFilter filter)
    {
        var rows = new List<CallRow>();
        CallCursor? after = null;
        do
        {
            var page = await PageAsync(actor, filter, CallQueries.MaxPageSize, after);
            rows.AddRange(page.Rows);
            after = page.Next;
        }
        while (after is not null);
        return rows;
    }

    private async Task<Guid> TeamOfAsync(string name)
    {
        await using var db = App.OpenDb();
        return await db.Teams.Where(t => t.Name == name).Select(t => t.Id).SingleAsync();
    }

    private async Task AddAsync(IEnumerable<CallRecord> calls)
    {
        await using var db = App.OpenDb();
        db.Calls.AddRange(calls);
        await db.SaveChangesAsync();
    }

    private static CallRecord Probe(string caller, DateTime at, Guid teamId) => new()
    {
        Id = Guid.NewGuid(), At = at, Endpoint = "chat", Caller = caller, TeamId = teamId, Status = 200, LatencyMs = 100, UsageSource = UsageSource.Provider,
    };

    private static CallRecord With(CallRecord call, Action<CallRecord> change)
    {
        change(call);
        return call;
    }

    [Fact]
    public async Task Keyset_pages_have_no_gaps_or_repeats_while_new_calls_arrive_and_previous_finds_the_newcomers()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var caller = $"arrivals-{Guid.NewGuid():N}";
        var team = await TeamOfAsync("Search");
        var start = DateTime.UtcNow.AddMinutes(-50);
        // Some share a time exactly: the id breaks the tie, so none is skipped or shown twice.
        var first = Enumerable.Range(0, 30).Select(i => Probe(caller, start.AddMinutes(i / 2), team)).ToList();
        await AddAsync(first);
        var filter = new CallFilter { Caller = caller };

        var page1 = await PageAsync(admin, filter, 7);
        await AddAsync(Enumerable.Range(0, 10).Select(i => Probe(caller, DateTime.UtcNow.AddSeconds(-i), team))); // newer than anything shown
        var walked = new List<CallRow>(page1.Rows);
        var cursor = page1.Next;
        var pages = new List<CallPage> { page1 };
        while (cursor is not null)
        {
            var page = await PageAsync(admin, filter, 7, cursor);
            walked.AddRange(page.Rows);
            pages.Add(page);
            cursor = page.Next;
        }

        Assert.Equal(first.Count, walked.Count);
        Assert.Equal(first.Select(c => c.Id).Order(), walked.Select(r => r.Id).Order());
        Assert.Equal(walked.OrderByDescending(r => r.At).Select(r => r.At), walked.Select(r => r.At));

        // Back from page 2: page 1 as it was, and the page before it holds the calls that arrived meanwhile.
        var back = await PageAsync(admin, filter, 7, before: pages[1].Previous);
        Assert.Equal(page1.Rows.Select(r => r.Id), back.Rows.Select(r => r.Id));
        Assert.NotNull(back.Previous);
        var newcomers = await PageAsync(admin, filter, 7, before: back.Previous);
        Assert.Equal(7, newcomers.Rows.Count);
        Assert.All(newcomers.Rows, r => Assert.DoesNotContain(r.Id, first.Select(c => c.Id)));
    }

    [Fact]
    public async Task Pages_over_several_teams_come_in_time_then_id_order_both_ways_with_ties_across_teams()
    {
        // Mia sees two teams: on SQLite their pages are read team by team and merged (CallQueries.PerTeamAsync).
        var mia = await App.ActorAsync(DemoOrg.Mia);
        var caller = $"two-teams-{Guid.NewGuid():N}";
        var (search, platform) = (await TeamOfAsync("Search"), await TeamOfAsync("Platform"));
        var start = DateTime.UtcNow.AddMinutes(-40);
        // Three calls at each instant, spread over both teams, so ties are broken by id across teams.
        var probes = Enumerable.Range(0, 24).Select(i => Probe(caller, start.AddMinutes(i / 3), i % 2 == 0 ? search : platform)).ToList();
        await AddAsync(probes);
        var expected = probes.OrderByDescending(c => c.At).ThenByDescending(c => c.Id).Select(c => c.Id).ToList();
        var filter = new CallFilter { Caller = caller };

        var pages = new List<CallPage> { await PageAsync(mia, filter, 5) };
        while (pages[^1].Next is { } next) pages.Add(await PageAsync(mia, filter, 5, next));

        Assert.Equal(expected, pages.SelectMany(p => p.Rows).Select(r => r.Id));
        Assert.Equal([5, 5, 5, 5, 4], pages.Select(p => p.Rows.Count));
        for (var i = pages.Count - 1; i > 0; i--)
        {
            var back = await PageAsync(mia, filter, 5, before: pages[i].Previous);
            Assert.Equal(pages[i - 1].Rows.Select(r => r.Id), back.Rows.Select(r => r.Id));
        }
    }

    [Fact]
    public async Task Every_filter_matches_exactly_the_calls_whose_rows_say_so_within_what_the_actor_may_see()
    {
        var admin = await App.ActorAsync(DemoOrg.Adam);
        var mia = await App.ActorAsync(DemoOrg.Mia);
        var search = await TeamOfAsync("Search");
        var now = DateTime.UtcNow;
        // Probe rows with values the demo may lack: an estimated, unstreamed call, an end user, a dear one, a refusal.
        await AddAsync(
        [
            With(Probe("filters-probe", now.AddHours(-2), search), c => { c.UsageSource = UsageSource.Estimated; c.Streamed = false; c.EndUser = "end-user-probe"; c.Cost = 1.25m; c.ModelRequested = "probe-model"; c.ProviderName = "probe-provider"; }),
            With(Probe("filters-probe", now.AddHours(-3), search), c => { c.Status = 429; c.ErrorClass = "upstream_rate_limited"; c.UsageSource = UsageSource.None; c.Streamed = true; }),
        ]);
        await using var db = App.OpenDb();
        var stored = await db.Calls.AsNoTracking().ToListAsync();
        var key = stored.First(c => c.KeyId is not null).KeyId!.Value;
        var model = stored.First(c => c.ModelRequested is not null && c.ModelRequested != "probe-model").ModelRequested!;
        var provider = stored.First(c => c.ProviderName is not null).ProviderName!;
        var herTeams = new HashSet<Guid> { search, await TeamOfAsync("Platform") };

        var cases = new (string Name, CallFilter Filter, Func<CallRecord, bool> Matches)[]
        {
            ("time", new() { From = now.AddDays(-2), To = now.AddDays(-1) }, c => c.At >= now.AddDays(-2) && c.At < now.AddDays(-1)),
            ("team", new() { TeamId = search }, c => c.TeamId == search),
            ("key", new() { KeyId = key }, c => c.KeyId == key),
            ("caller", new() { Caller = "FILTERS-PRO" }, c => c.Caller == "filters-probe"),
            ("end user", new() { EndUser = "end-user-probe" }, c => c.EndUser == "end-user-probe"),
            ("model", new() { Model = model }, c => c.ModelRequested == model),
            ("provider", new() { Provider = provider }, c => c.ProviderName == provider),
            ("errors", new() { Outcome = CallOutcome.Failed }, c => c.ErrorClass is not null),
            ("success", new() { Outcome = CallOutcome.Succeeded }, c => c.ErrorClass is null),
            ("status", new() { Status = 429 }, c => c.Status == 429),
            ("error class", new() { ErrorClass = "upstream_rate_limited" }, c => c.ErrorClass == "upstream_rate_limited"),
            ("cost from", new() { CostMin = 1m }, c => c.Cost >= 1m),
            ("cost range", new() { CostMin = 0.0001m, CostMax = 0.001m }, c => c.Cost >= 0.0001m && c.Cost <= 0.001m),
            ("usage", new() { UsageSource = UsageSource.Estimated }, c => c.UsageSource == UsageSource.Estimated),
            ("not streamed", new() { Streamed = false }, c => !c.Streamed),
            ("streamed", new() { Streamed = true }, c => c.Streamed),
            ("combined", new() { Streamed = false, UsageSource = UsageSource.Estimated, Caller = "filters" }, c => !c.Streamed && c.UsageSource == UsageSource.Estimated && c.Caller == "filters-probe"),
        };
        foreach (var (name, filter, matches) in cases)
        {
            var expected = stored.Where(matches).Select(c => c.Id).Order().ToList();
            var rows = await AllAsync(admin, filter);
            Assert.True(expected.Count > 0, $"{name}: the data has no such call, so the filter proves nothing");
            Assert.True(expected.SequenceEqual(rows.Select(r => r.Id).Order()), $"{name}: {rows.Count} rows, {expected.Count} expected");

            // A Member gets the same filter within her teams only.
            var hers = await AllAsync(mia, filter);
            Assert.All(hers, r => Assert.Contains(r.Id, expected));
            Assert.Equal(stored.Where(c => matches(c) && c.TeamId is { } t && herTeams.Contains(t)).Select(c => c.Id).Order(), hers.Select(r => r.Id).Order());
        }
    }
}

public sealed class RequestsQueryTests_on_Sqlite(SqliteApp f) : RequestsQueryTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class RequestsQueryTests_on_Postgres(PostgresApp f) : RequestsQueryTests<PostgresApp>(f), IClassFixture<PostgresApp>;
