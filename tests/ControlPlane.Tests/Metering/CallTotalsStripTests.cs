using System.Globalization;
using Bunit;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Components;
using ControlPlane.Tests.Overview;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// The Requests totals strip in bUnit with totals from <see cref="CallTotalsQuery"/> over the demo's week: cut short by
/// the 1 s budget every figure says "≥" and a note names the instant the sums start from; exact, neither shows.
/// </summary>
public sealed class CallTotalsStripTests(ClockedDemoApp app) : MudContext, IClassFixture<ClockedDemoApp>
{
    private static readonly string[] Figures = ["total-calls", "total-errors", "total-input", "total-output", "total-cost"];

    /// <summary>A clock for the budget: every reading is <paramref name="step"/> after the last.</summary>
    private sealed class BudgetClock(TimeSpan step) : TimeProvider
    {
        private long _ticks;
        public override DateTimeOffset GetUtcNow() => new(ClockedDemoApp.Now, TimeSpan.Zero);
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);
    }

    private async Task<CallTotals> TotalsAsync(CallFilter filter, TimeSpan clockStep, long rawAtOnce)
    {
        await using var db = app.OpenDb();
        var raw = CallFilterSql.Apply(db.Calls.AsNoTracking(), filter);
        return await CallTotalsQuery.RunAsync(db, raw, null, filter, new BudgetClock(clockStep), CancellationToken.None, rawAtOnce);
    }

    private static string ValueOf(IRenderedComponent<CallTotalsStrip> strip, string figure) =>
        strip.Find($"[data-testid={figure}] [data-testid=total-value]").TextContent.Trim();

    [Fact]
    public async Task Totals_cut_short_by_the_budget_show_at_least_and_the_instant_they_count_from()
    {
        // Summed window by window (as over millions of calls) with every clock reading two seconds later: the budget
        // is spent after the first window, so the sums cover only the newest calls.
        var totals = await TotalsAsync(new CallFilter { Outcome = CallOutcome.Succeeded }, TimeSpan.FromSeconds(2), rawAtOnce: 0);
        var since = Assert.IsType<DateTime>(totals.CountedFrom);
        Assert.True(totals.Calls > 0);

        var strip = Render<CallTotalsStrip>(p => p.Add(s => s.Totals, totals));

        foreach (var figure in Figures)
            Assert.StartsWith("≥ ", ValueOf(strip, figure), StringComparison.Ordinal);
        Assert.Equal("≥ " + totals.Calls.ToString("N0", CultureInfo.CurrentCulture), ValueOf(strip, "total-calls"));
        var note = strip.Find("[data-testid=totals-partial]").TextContent;
        Assert.Contains($"since {since.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC only", note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exact_totals_show_plain_figures_and_no_note()
    {
        var totals = await TotalsAsync(new CallFilter { Outcome = CallOutcome.Succeeded }, TimeSpan.Zero, CallTotalsQuery.RawAtOnce);
        Assert.Null(totals.CountedFrom);
        Assert.True(totals.Calls > 0);

        var strip = Render<CallTotalsStrip>(p => p.Add(s => s.Totals, totals));

        foreach (var figure in Figures)
            Assert.DoesNotContain("≥", ValueOf(strip, figure), StringComparison.Ordinal);
        Assert.Equal(totals.Calls.ToString("N0", CultureInfo.CurrentCulture), ValueOf(strip, "total-calls"));
        Assert.Empty(strip.FindAll("[data-testid=totals-partial]"));
    }
}
