using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>What a person without admin rights sees.</summary>
[Collection(E2EFixtures.Name)]
public sealed class MemberTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task Member_sees_no_admin_actions()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Mia Member");

        // The menu lists only what a Member may open.
        await Expect(AdminFlowTests.Nav(page, "Keys")).ToBeVisibleAsync();
        await Expect(AdminFlowTests.Nav(page, "Teams")).ToBeVisibleAsync();
        await Expect(AdminFlowTests.Nav(page, "Requests")).ToBeVisibleAsync();
        await Expect(AdminFlowTests.Nav(page, "Audit")).ToHaveCountAsync(0);
        await Expect(AdminFlowTests.Nav(page, "Providers")).ToHaveCountAsync(0);
        await Expect(AdminFlowTests.Nav(page, "Prices")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync("Mia Member · Member");

        // Keys: her teams' keys, read-only.
        await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, "Keys"));
        await Expect(page).ToHaveURLAsync(new Regex("/keys$"));
        await Expect(page.GetByTestId("key-status").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("new-key-button")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "New key" })).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("revoke")).ToHaveCountAsync(0);

        // Teams: no way to create one.
        await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, "Teams"));
        await Expect(page).ToHaveURLAsync(new Regex("/teams$"));
        await Expect(page.GetByTestId("team-row").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("new-team")).ToHaveCountAsync(0);

        // The audit page, typed into the address bar.
        await s.GoToAsync("/audit");
        await Expect(page.GetByText("Your role does not give you access")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("audit-grid")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("chain-status")).ToHaveCountAsync(0);

        s.AssertNoBrowserErrors();
    }
}
