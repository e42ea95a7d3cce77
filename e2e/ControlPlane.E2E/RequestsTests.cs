using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>The Requests page in Chromium: a TeamLead filters the log, opens a call in the drawer and downloads the CSV of the filter.</summary>
[Collection(E2EFixtures.Name)]
public sealed class RequestsTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task A_team_lead_filters_requests_opens_a_call_and_exports_the_filtered_csv()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await page.SetViewportSizeAsync(1280, 800);
        await s.SignInAsAsync("Leo Lead", "/calls");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Requests", Exact = true })).ToBeVisibleAsync();
        var rows = page.GetByTestId("calls-grid").Locator("tbody tr").Filter(new() { Has = page.GetByTestId("call-at") });
        await Expect(rows.First).ToBeVisibleAsync();
        await s.WaitForInteractiveAsync();

        // Team: Search (with its subteams); the filter goes into the URL.
        await BrowserSession.ClickAsync(page.GetByTestId("filter-team"));
        await BrowserSession.ClickAsync(page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex(@"Search\s*$") }));
        await Expect(page).ToHaveURLAsync(new Regex("team=[0-9a-f-]{36}"));
        // The grid answers after the URL changes: wait until no row of another team is left, rather than read once.
        var teams = page.GetByTestId("calls-grid").GetByTestId("call-team");
        await Expect(teams.First).ToBeVisibleAsync();
        await Expect(teams.Filter(new() { HasNotTextRegex = new Regex(@"Search\s*$") })).ToHaveCountAsync(0);

        // Successful calls only, then a shared link of this view opens the same filters.
        await BrowserSession.ClickAsync(page.GetByTestId("filter-outcome").GetByText("Success", new() { Exact = true }));
        await Expect(page).ToHaveURLAsync(new Regex("outcome=success"));
        var url = page.Url;
        await s.GoToAsync(new Uri(url).PathAndQuery);
        await Expect(rows.First).ToBeVisibleAsync();
        await Expect(page).ToHaveURLAsync(url);

        // The drawer: route, prices used, timings.
        await BrowserSession.ClickAsync(rows.First);
        var details = page.GetByTestId("call-details");
        await Expect(details.GetByTestId("call-request-id")).ToHaveTextAsync(new Regex("^req_[0-9a-f]{32}$"));
        await Expect(details.GetByTestId("call-prices")).ToContainTextAsync("per 1M tokens");
        await Expect(details.GetByTestId("call-timing")).ToContainTextAsync("ms in all");
        await s.ScreenshotAsync("requests-drawer");
        await BrowserSession.ClickAsync(page.GetByTestId("call-close"));
        await Expect(page.GetByTestId("call-details")).ToHaveCountAsync(0);

        // Export: the download is the filtered set as CSV, Search's successful calls only.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("calls-export").ClickAsync());
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
        var path = await download.PathAsync();
        var lines = await File.ReadAllLinesAsync(path);
        Assert.StartsWith("request_id,at_utc,team,", lines[0], StringComparison.Ordinal);
        Assert.True(lines.Length > 1, "the export has no calls");
        Assert.All(lines.Skip(1), line =>
        {
            var cells = Cells(line);
            Assert.EndsWith("Search", cells[2], StringComparison.Ordinal);
            Assert.Equal("200", cells[12]);
        });
        await s.AssertNoSidewaysScrollAt1280Async();
        s.AssertNoBrowserErrors();
    }

    /// <summary>One CSV line's cells (quoted cells may hold commas and doubled quotes).</summary>
    private static List<string> Cells(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }
}
