using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>The audit page in Chromium: the demo data's own history (teams, members, keys, one revocation) is listed.</summary>
[Collection(E2EFixtures.Name)]
public sealed class AuditTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task Audit_page_lists_the_demo_history_and_counts_it()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        // The demo's key history, through the action filter: newer demo entries (transfers, notifications) fill page one.
        await s.SignInAsAsync("Aria Auditor", "/audit?action=key.");

        var rows = page.GetByTestId("audit-grid").Locator("tbody tr");
        await Expect(rows.Filter(new() { HasText = "key.revoked" }).Filter(new() { HasText = "research-old" })).ToHaveCountAsync(1);
        await Expect(rows.Filter(new() { HasText = "key.created" }).First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("chain-status")).ToContainTextAsync("The chain is intact");
        // Playwright trims the expected text, so " 0 entries" would also match "30 entries": say "a count above zero".
        await Expect(page.GetByTestId("chain-status")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"intact: [1-9][0-9,]* entries"));
        await Expect(page.GetByTestId("breadcrumbs")).ToHaveTextAsync("Audit");

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Audit_counts_the_chain_in_its_pager_and_fits_1280_pixels()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await page.SetViewportSizeAsync(1280, 800);
        await s.SignInAsAsync("Olivia Owner", "/audit");

        var grid = page.GetByTestId("audit-grid");
        await Expect(grid.Locator("tbody tr").First).ToBeVisibleAsync();
        // The pager's total is the database's count (ServerData), the same the chain check reports.
        var status = await page.GetByTestId("chain-status").InnerTextAsync();
        var total = Regex.Match(status, @"(\d+) entries").Groups[1].Value;
        await Expect(grid.Locator(".mud-table-pagination-caption").Last).ToContainTextAsync($"of {total}");
        await Expect(grid.Locator("tbody tr")).ToHaveCountAsync(Math.Min(int.Parse(total, System.Globalization.CultureInfo.InvariantCulture), 25));
        await s.AssertFitsWidthAsync(1280, "audit");

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Audit_filters_by_action_and_actor_keep_them_in_the_url_and_export_the_same_set()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Aria Auditor", "/audit");
        // Columns: the expand button, #, when, who, action, on, details, hash.
        var rows = page.GetByTestId("audit-grid").Locator("tbody tr.mud-table-row");

        await BrowserSession.FieldInput(page.Locator("body"), "filter-action").FillAsync("key.");
        await BrowserSession.ClickAsync(page.GetByTestId("filter-apply"));
        await Expect(page).ToHaveURLAsync(new Regex(@"/audit\?action=key\.$"));
        await Expect(rows.First.Locator("td:nth-child(5)")).ToHaveTextAsync(new Regex(@"^key\."));
        foreach (var action in await rows.Locator("td:nth-child(5)").AllInnerTextsAsync())
            Assert.StartsWith("key.", action.Trim(), StringComparison.Ordinal);

        // Narrow to whoever made the first of them: both filters travel in the URL and into the export link.
        var actor = (await rows.First.Locator("td:nth-child(4)").InnerTextAsync()).Trim();
        await BrowserSession.FieldInput(page.Locator("body"), "filter-actor").FillAsync(actor);
        await BrowserSession.ClickAsync(page.GetByTestId("filter-apply"));
        // Compared decoded: the browser may show an '@' or ':' in the query as it is or escaped.
        await Expect(page).ToHaveURLAsync(new Regex(@"/audit\?actor=[^&]+&action=key\.$"));
        Assert.EndsWith($"/audit?actor={actor}&action=key.", Uri.UnescapeDataString(page.Url), StringComparison.Ordinal);
        await Expect(page.GetByTestId("export-csv")).ToHaveAttributeAsync("href", new Regex(@"^/audit/export\.csv\?actor=[^&]+&action=key\.$"));
        // Retried until the grid has reloaded: no row by anyone else is left.
        await Expect(rows.Filter(new() { HasNot = page.Locator("td:nth-child(4)", new() { HasText = actor }) })).ToHaveCountAsync(0);
        await Expect(rows.First).ToBeVisibleAsync();

        var csvHref = await page.GetByTestId("export-csv").GetAttributeAsync("href");
        Assert.Equal($"/audit/export.csv?actor={actor}&action=key.", Uri.UnescapeDataString(csvHref!));
        var csv = await page.APIRequest.GetAsync(new Uri(app.BaseUrl, csvHref).ToString());
        Assert.Equal(200, csv.Status);
        // The JSON export of the same filter, read entry by entry: only that actor's key actions, at least the rows shown.
        var jsonHref = await page.GetByTestId("export-json").GetAttributeAsync("href");
        using var export = System.Text.Json.JsonDocument.Parse(await (await page.APIRequest.GetAsync(new Uri(app.BaseUrl, jsonHref).ToString())).TextAsync());
        var entries = export.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.True(entries.Count >= await rows.CountAsync(), "the export holds at least the rows the page shows");
        Assert.All(entries, e =>
        {
            Assert.StartsWith("key.", e.GetProperty("action").GetString(), StringComparison.Ordinal);
            Assert.Contains(actor, e.GetProperty("actor").GetString(), StringComparison.OrdinalIgnoreCase);
        });

        s.AssertNoBrowserErrors();
    }
}
