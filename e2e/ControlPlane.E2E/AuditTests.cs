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

        s.AssertNoBrowserErrors();
    }
}
