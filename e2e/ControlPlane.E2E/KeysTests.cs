using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>The Keys page in Chromium beyond the admin's journey (AdminFlowTests) and the member's (MemberTests).</summary>
[Collection(E2EFixtures.Name)]
public sealed class KeysTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task Keys_fit_a_1280_pixel_window()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        await s.Page.SetViewportSizeAsync(1280, 800);
        await s.SignInAsAsync("Adam Admin", "/keys");
        await Expect(s.Page.GetByTestId("revoke").First).ToBeVisibleAsync();

        await s.AssertFitsWidthAsync(1280, "/keys as an Admin");
        await s.ScreenshotAsync("keys-1280");
        s.AssertNoBrowserErrors();
    }
}
