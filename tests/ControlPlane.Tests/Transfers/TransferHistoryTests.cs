using ControlPlane.Features.Transfers;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Tests.Transfers.TransferTestKit;

namespace ControlPlane.Tests.Transfers;

/// <summary>History a page at a time (keyset on request time and id, never OFFSET) with its filters, on a real database.</summary>
public abstract class TransferHistoryTests<TApp>(TApp app) where TApp : TransferApp
{
    [DatabaseFact]
    public async Task Pages_walk_the_history_newest_first_once_each_even_when_request_times_tie()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));
        var to = await WalletAsync(app, "Paged", 5m);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            if (i != 3) clock.Now = clock.Now.AddMinutes(1); // the 3rd and 4th are requested at the same instant
            var r = await RequestAsync(app, Fiona, null, to, 1m + i, clock: clock);
            Assert.True(r.Succeeded, r.Error);
            ids.Add(r.Value!.Id);
        }
        var filter = new TransferFilter(WalletId: to);

        var seen = new List<TransferRow>();
        TransferCursor? after = null;
        var pages = 0;
        do
        {
            var page = await HistoryAsync(Olivia, filter, after, 2);
            Assert.True(page.Rows.Count is > 0 and <= 2);
            seen.AddRange(page.Rows);
            after = page.Next;
            pages++;
        }
        while (after is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(5, seen.Select(r => r.Id).Distinct().Count());
        Assert.Equal(ids.ToHashSet(), seen.Select(r => r.Id).ToHashSet());
        Assert.Equal(seen.OrderByDescending(r => r.RequestedAt).Select(r => r.RequestedAt), seen.Select(r => r.RequestedAt));
        Assert.Equal(ids[4], seen[0].Id); // the newest first
    }

    [DatabaseFact]
    public async Task Filters_narrow_by_state_requester_wallet_and_request_time()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        var to = await WalletAsync(app, "Filtered", 5m);
        var led = await LedWalletAsync(app, "FilteredLed", 5m);
        var byFiona = await RequestAsync(app, Fiona, null, to, 1m, clock: clock);
        clock.Now = clock.Now.AddDays(2);
        var byLeo = await RequestAsync(app, Leo, null, led, 1m, clock: clock);
        var rejected = await RequestAsync(app, Fiona, null, led, 2m, clock: clock);
        var rejectedId = rejected.Value!.Id;
        var rejecting = await UseAsync(app, Olivia, clock, (s, a) => s.RejectAsync(a, rejectedId, "not this month"));
        Assert.True(rejecting.Succeeded, rejecting.Error);

        var leds = await HistoryAsync(Olivia, new TransferFilter(WalletId: led), null, 50);
        Assert.Equal(new[] { rejectedId, byLeo.Value!.Id }.ToHashSet(), leds.Rows.Select(r => r.Id).ToHashSet());

        var leoOnly = await HistoryAsync(Olivia, new TransferFilter(WalletId: led, Requester: Leo), null, 50);
        Assert.Equal(byLeo.Value.Id, Assert.Single(leoOnly.Rows).Id);

        var rejectedOnly = await HistoryAsync(Olivia, new TransferFilter(State: TransferStates.Rejected, WalletId: led), null, 50);
        Assert.Equal(rejectedId, Assert.Single(rejectedOnly.Rows).Id);

        var firstDay = await HistoryAsync(Olivia, new TransferFilter(From: new DateTime(2026, 7, 1), To: new DateTime(2026, 7, 2)), null, 50);
        Assert.Contains(firstDay.Rows, r => r.Id == byFiona.Value!.Id);
        Assert.DoesNotContain(firstDay.Rows, r => r.Id == byLeo.Value.Id || r.Id == rejectedId);
        Assert.Null(firstDay.Next);
    }

    [Fact]
    public void A_cursor_survives_the_URL_and_nonsense_is_no_cursor()
    {
        var cursor = new TransferCursor(new DateTime(2026, 12, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234), Guid.CreateVersion7());
        Assert.Equal(cursor, TransferCursor.Parse(cursor.ToString()));
        Assert.Null(TransferCursor.Parse("12-notaguid"));
        Assert.Null(TransferCursor.Parse("-1-" + Guid.NewGuid().ToString("N")));
        Assert.Null(TransferCursor.Parse(null));
    }

    private async Task<TransferPage> HistoryAsync(string email, TransferFilter filter, TransferCursor? after, int size)
    {
        var actor = await app.App.ActorAsync(email);
        await using var scope = app.App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TransferQueries>().HistoryAsync(actor, filter, after, size);
    }
}

public sealed class TransferHistoryTests_on_Sqlite(SqliteTransferApp g) : TransferHistoryTests<SqliteTransferApp>(g), IClassFixture<SqliteTransferApp>;

public sealed class TransferHistoryTests_on_Postgres(PostgresTransferApp g) : TransferHistoryTests<PostgresTransferApp>(g), IClassFixture<PostgresTransferApp>;
