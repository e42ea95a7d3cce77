using Bunit;
using ControlPlane.Features.Audit;
using ControlPlane.Tests.Components;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Audit;

/// <summary>The Audit page in bUnit over the demo data: the chain's verdict and its entries, newest first, a page at a time.</summary>
public sealed class AuditPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task An_auditor_sees_the_demo_history_and_that_the_chain_is_intact()
    {
        await SignInAsAsync("aria.auditor@acme.test");

        var page = Render<AuditPage>();

        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=audit-grid] tbody tr"),
            row => row.TextContent.Contains("key.revoked", StringComparison.Ordinal) && row.TextContent.Contains("research-old", StringComparison.Ordinal)));
        var rows = page.FindAll("[data-testid=audit-grid] tbody tr");
        Assert.Contains(rows, row => row.TextContent.Contains("key.created", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.TextContent.Contains("system:demo-data", StringComparison.Ordinal));
        var status = page.Find("[data-testid=chain-status]").TextContent;
        Assert.Contains("The chain is intact", status, StringComparison.Ordinal);
        Assert.Contains($"{await EntriesAsync()} entries", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_newest_entry_comes_first_and_a_page_holds_at_most_25()
    {
        await SignInAsAsync("olivia.owner@acme.test");

        var page = Render<AuditPage>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=audit-grid] tbody tr td")));
        var total = await EntriesAsync();
        var rows = page.FindAll("[data-testid=audit-grid] tbody tr");
        Assert.Equal(Math.Min(total, 25), rows.Count);
        Assert.Equal(total.ToString(System.Globalization.CultureInfo.InvariantCulture), rows[0].QuerySelector("td[data-label='#']")!.TextContent.Trim());
    }

    [Fact]
    public async Task An_entry_changed_outside_the_application_is_named_as_the_broken_link()
    {
        await SignInAsAsync("adam.admin@acme.test");
        string original;
        await using (var db = App.App.OpenDb())
        {
            original = await db.AuditEntries.Where(e => e.Sequence == 2).Select(e => e.Details).SingleAsync();
            await db.AuditEntries.Where(e => e.Sequence == 2).ExecuteUpdateAsync(e => e.SetProperty(x => x.Details, original + " (edited)"));
        }
        try
        {
            var page = Render<AuditPage>();

            page.WaitForAssertion(() => Assert.Contains("The chain is broken at entry #2", page.Find("[data-testid=chain-status]").TextContent, StringComparison.Ordinal));
        }
        finally
        {
            // The class shares one database: put the entry back for the other tests.
            await using var db = App.App.OpenDb();
            await db.AuditEntries.Where(e => e.Sequence == 2).ExecuteUpdateAsync(e => e.SetProperty(x => x.Details, original));
        }
    }

    [Fact]
    public async Task Filters_from_the_URL_narrow_the_list_and_the_export_links()
    {
        await SignInAsAsync("aria.auditor@acme.test");
        Services.GetRequiredService<NavigationManager>().NavigateTo("/audit?action=key.revoked&actor=demo");

        var page = Render<AuditPage>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=audit-grid] tbody tr td")));
        var rows = page.FindAll("[data-testid=audit-grid] tbody tr");
        Assert.All(rows, row => Assert.Contains("key.revoked", row.TextContent, StringComparison.Ordinal));
        Assert.Contains("research-old", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("/audit/export.json?actor=demo&action=key.revoked", page.Find("[data-testid=export-json]").GetAttribute("href"));
    }

    [Fact]
    public async Task Opening_an_entry_shows_what_changed_before_and_after()
    {
        await SignInAsAsync("aria.auditor@acme.test");
        Services.GetRequiredService<NavigationManager>().NavigateTo("/audit?action=key.revoked");
        var page = Render<AuditPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=audit-grid] tbody tr td")));

        page.Find("[data-testid=audit-grid] tbody tr button").Click();

        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=audit-diff] tbody tr"),
            row => row.TextContent.Contains("RevokedAt", StringComparison.Ordinal) && row.TextContent.Contains("null", StringComparison.Ordinal)));
        Assert.DoesNotContain(page.FindAll("[data-testid=audit-diff] tbody tr"), row => row.TextContent.Contains("Name", StringComparison.Ordinal));
    }

    private async Task<int> EntriesAsync()
    {
        await using var db = App.App.OpenDb();
        return await db.AuditEntries.CountAsync();
    }
}
