using System.Text.RegularExpressions;
using ControlPlane.Tests.Notifications;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>
/// The jobs dashboard (Hangfire at /jobs) in Chromium: an Admin triggers the digest job and a real SMTP server, listening
/// where the demo's mail channel sends (127.0.0.1:1025), receives the digest; a Member is refused.
/// </summary>
[Collection(E2EFixtures.Name)]
public sealed class JobsTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    private const int DemoMailPort = 1025;

    [Fact]
    public async Task An_admin_triggers_the_digest_job_and_the_digest_reaches_a_real_smtp_server()
    {
        await using var smtp = await SmtpTestServer.StartAsync(port: DemoMailPort);
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Adam Admin");

        // The nav entry loads Hangfire's own pages (not a Blazor page).
        await BrowserSession.ClickAsync(AdminFlowTests.Nav(page, "Jobs"));
        await Expect(page).ToHaveURLAsync(new Regex("/jobs/?$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Recurring Jobs" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/jobs/recurring$"));
        var row = page.Locator("tr").Filter(new() { Has = page.Locator("td", new() { HasTextRegex = new Regex(@"^\s*digests\.send\s*$") }) });
        await Expect(row).ToHaveCountAsync(1);

        await row.Locator("input[type=checkbox]").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync();

        // Other alerts may reach the demo's mail channel too (the demo subscribes finance to several): wait for a digest.
        var digest = await NextDigestAsync(smtp);
        Assert.Matches(@"^Daily AI spend digest, .+: \$[0-9,.]+", digest.GetProperty("subject").GetString());
        Assert.Contains("Spend:", digest.GetProperty("text").GetString());
        Assert.Contains("Top models", digest.GetProperty("text").GetString());

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task An_auditor_reads_the_recurring_jobs_but_cannot_trigger_them()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Aria Auditor");

        await page.GotoAsync(new Uri(app.BaseUrl, "/jobs/recurring").ToString());
        await Expect(page.Locator("tr").Filter(new() { Has = page.Locator("td", new() { HasTextRegex = new Regex(@"^\s*audit\.verify\s*$") }) })).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Trigger now" })).ToHaveCountAsync(0);
        await Expect(page.Locator("input.js-jobs-list-checkbox")).ToHaveCountAsync(0);

        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task A_member_is_refused_the_jobs_dashboard()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Mia Member");

        await Expect(AdminFlowTests.Nav(page, "Jobs")).ToHaveCountAsync(0);
        await page.GotoAsync(new Uri(app.BaseUrl, "/jobs/recurring").ToString());
        await Expect(page).ToHaveURLAsync(new Regex("/access-denied"));
        await Expect(page.GetByText("Your role does not give you access")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Trigger now" })).ToHaveCountAsync(0);
    }

    private static async Task<System.Text.Json.JsonElement> NextDigestAsync(SmtpTestServer smtp)
    {
        while (true)
        {
            var message = await smtp.NextMessageAsync();
            if (message.GetProperty("subject").GetString()?.Contains("AI spend digest", StringComparison.Ordinal) == true) return message;
        }
    }
}
