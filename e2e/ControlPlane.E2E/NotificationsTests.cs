using System.Text.RegularExpressions;
using ControlPlane.Tests.Notifications;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>
/// The Notifications page in Chromium: a FinanceAdmin sends a test through the demo's e-mail channel, a real SMTP
/// server listening where that channel sends (127.0.0.1:1025) receives it, and the delivery log shows it sent.
/// </summary>
[Collection(E2EFixtures.Name)]
public sealed class NotificationsTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task A_test_through_the_email_channel_reaches_a_real_smtp_server_and_the_delivery_log()
    {
        await using var smtp = await SmtpTestServer.StartAsync(port: 1025);
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Fiona Finance", "/notifications");

        var mailRow = page.GetByTestId("channels").Locator("tbody tr").Filter(new() { HasText = "Finance e-mail" });
        await BrowserSession.ClickAsync(mailRow.GetByTestId("send-test"));
        await Expect(BrowserSession.Snackbar(page, "Test sent to Finance e-mail.")).ToBeVisibleAsync();

        // Other alerts may reach the same channel while the server listens: wait for the test.
        System.Text.Json.JsonElement message;
        do message = await smtp.NextMessageAsync();
        while (message.GetProperty("subject").GetString() != "Test from ControlPlane: Finance e-mail");
        Assert.Equal(["fiona.finance@acme.test"], message.GetProperty("to").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("reaches you", message.GetProperty("text").GetString());

        var logged = page.GetByTestId("delivery-log").Locator("tbody tr").Filter(new() { HasText = "Test from ControlPlane: Finance e-mail" });
        await Expect(logged.First).ToContainTextAsync(new Regex(@"\bsent\b"));

        s.AssertNoBrowserErrors();
    }
}
