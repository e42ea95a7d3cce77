using Bunit;
using ControlPlane.Features.Notifications;
using ControlPlane.Tests.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace ControlPlane.Tests.Notifications;

/// <summary>The Notifications page on the real app's services and demo data.</summary>
public sealed class NotificationsPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task Finance_sees_the_demo_channels_subscriptions_ladder_and_a_failed_delivery()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (_, page) = RenderWithDialogs<NotificationsPage>();

        page.WaitForAssertion(() => Assert.Contains("Finance e-mail", page.Find("[data-testid=channels]").TextContent, StringComparison.Ordinal));
        var channels = page.Find("[data-testid=channels]").TextContent;
        Assert.Contains("Slack #ai-budgets", channels, StringComparison.Ordinal);
        Assert.Contains("hooks.slack.com/…hook", channels, StringComparison.Ordinal); // the hint, never the URL
        Assert.DoesNotContain("not-a-real-hook", page.Markup, StringComparison.Ordinal);
        Assert.Contains(AlertKinds.WalletExhausted, page.Find("[data-testid=subscriptions]").TextContent, StringComparison.Ordinal);
        Assert.Contains("95 %", page.Find("[data-testid=ladder]").TextContent, StringComparison.Ordinal);
        page.WaitForAssertion(() => Assert.Contains("HTTP 404 Not Found: no_service", page.Find("[data-testid=delivery-log]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retry_now_puts_a_failed_delivery_back_in_the_queue_and_says_so()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (_, page) = RenderWithDialogs<NotificationsPage>();
        var retry = await page.WaitForElementAsync("[data-testid=retry-delivery]");
        retry.Click();

        page.WaitForAssertion(() => Assert.Contains(Snackbars, s => s.Severity == Severity.Success && s.Message == "Queued for one more attempt now."));
        await using var db = App.App.OpenDb();
        Assert.Contains(await db.AuditEntries.AsNoTracking().Select(e => e.Action).ToListAsync(), a => a == "notification.delivery.retried");
    }

    [Fact]
    public async Task A_new_channel_with_a_bad_URL_is_refused_in_the_dialog()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var (dialogs, page) = RenderWithDialogs<NotificationsPage>();
        (await page.WaitForElementAsync("[data-testid=add-channel]")).Click();
        InputOf(dialogs, "channel-name").Change("Broken hook");
        InputOf(dialogs, "channel-url").Change("http://hooks.example.com/x");
        dialogs.Find("[data-testid=save-channel]").Click();

        dialogs.WaitForAssertion(() => Assert.Equal("Use an https:// webhook URL (plain http only to this machine).", dialogs.Find("[data-testid=channel-error]").TextContent.Trim()));
        await using var db = App.App.OpenDb();
        Assert.False(await db.Set<NotificationChannel>().AnyAsync(c => c.Name == "Broken hook"));
    }
}
