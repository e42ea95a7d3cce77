using Microsoft.Playwright;
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
        await s.SignInAsAsync("Aria Auditor", "/audit");

        var rows = page.GetByTestId("audit-grid").Locator("tbody tr");
        await Expect(rows.Filter(new() { HasText = "key.revoked" }).Filter(new() { HasText = "research-old" })).ToHaveCountAsync(1);
        await Expect(rows.Filter(new() { HasText = "key.created" }).First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("chain-status")).ToContainTextAsync("The chain is intact");
        await Expect(page.GetByTestId("chain-status")).Not.ToContainTextAsync(" 0 entries");
        await Expect(page.GetByTestId("breadcrumbs")).ToHaveTextAsync("Audit");

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Audit_pages_through_the_chain_in_the_database_and_fits_1280_pixels()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await page.SetViewportSizeAsync(1280, 800);
        await s.SignInAsAsync("Olivia Owner", "/audit");

        var grid = page.GetByTestId("audit-grid");
        var rows = grid.Locator("tbody tr");
        await Expect(rows.First).ToBeVisibleAsync();
        var firstOnPageOne = await rows.First.Locator("td").First.InnerTextAsync();
        // The demo history is longer than one page of 25: the next page starts further back in the chain.
        await BrowserSession.ClickAsync(grid.GetByRole(AriaRole.Button, new() { Name = "Next page" }));
        await Expect(rows.First.Locator("td").First).Not.ToHaveTextAsync(firstOnPageOne);
        var firstOnPageTwo = long.Parse(await rows.First.Locator("td").First.InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(firstOnPageTwo < long.Parse(firstOnPageOne, System.Globalization.CultureInfo.InvariantCulture));
        await s.AssertFitsWidthAsync(1280, "audit");

        s.AssertNoBrowserErrors();
    }
}
