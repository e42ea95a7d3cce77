using Bunit;
using ControlPlane.Features.Reconciliation;
using ControlPlane.Tests.Components;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Reconciliation;

/// <summary>The Reconciliation page over the demo data: the demo's report with its drift, its lines, and an upload.</summary>
public sealed class ReconciliationPageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task An_auditor_reads_the_demo_report_and_its_lines_but_has_no_upload()
    {
        await SignInAsAsync("aria.auditor@acme.test");
        await using var db = App.App.OpenDb();
        var demo = await db.ReconciliationReports.AsNoTracking().OrderBy(r => r.CreatedAt).FirstAsync();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"reconciliation?report={demo.Id}");

        var (_, page) = RenderWithDialogs<ReconciliationPage>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll($"[data-testid=reports] [data-report-id='{demo.Id}']")));
        Assert.Contains(page.FindAll("[data-testid=report-drift]"), e => e.TextContent.Contains("lines", StringComparison.Ordinal)); // the demo has drift
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=report-detail] [data-testid=line-finding]")));
        var findings = page.FindAll("[data-testid=line-finding]").Select(e => e.GetAttribute("data-finding")).ToList();
        Assert.Contains(Findings.PriceDifference, findings);
        Assert.Contains(Findings.UnknownModel, findings);
        Assert.Empty(page.FindAll("[data-testid=upload-bill]"));
        Assert.Empty(page.FindAll("[data-testid=source-save]"));
    }

    [Fact]
    public async Task Finance_uploads_a_generic_csv_and_the_new_report_opens()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (_, page) = RenderWithDialogs<ReconciliationPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=upload-bill]")));
        await using var db = App.App.OpenDb();
        var provider = await db.Providers.AsNoTracking().OrderBy(p => p.Name).Select(p => p.Name).FirstAsync();
        var select = page.FindComponents<MudSelect<string>>()[0];
        await select.InvokeAsync(() => select.Instance.SelectOption(provider));
        var csv = $"date,provider,model,input_tokens,output_tokens,requests,cost,currency\n2021-03-04,{provider},page-model,10,5,1,2.50,USD\n";

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(csv, "march.csv"));

        page.WaitForAssertion(() => Assert.Contains(Snackbars, s => (s.Message ?? "").StartsWith($"Imported 1 day(s) of {provider}'s bill", StringComparison.Ordinal)));
        var stored = await db.ReconciliationReports.AsNoTracking().Include(r => r.Lines).SingleAsync(r => r.FileName == "march.csv");
        Assert.Equal((new DateOnly(2021, 3, 4), Findings.UnknownModel), (stored.Day, stored.Lines.Single().Finding));
        Assert.EndsWith($"reconciliation?report={stored.Id}", Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_upload_says_which_line_and_column()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var (_, page) = RenderWithDialogs<ReconciliationPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=upload-bill]")));
        await using var db = App.App.OpenDb();
        var provider = await db.Providers.AsNoTracking().OrderBy(p => p.Name).Select(p => p.Name).FirstAsync();
        var select = page.FindComponents<MudSelect<string>>()[0];
        await select.InvokeAsync(() => select.Instance.SelectOption(provider));

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(
            $"date,provider,model,input_tokens,output_tokens,requests,cost,currency\n2021-03-05,{provider},m,1,1,1,abc,USD\n", "bad.csv"));

        page.WaitForAssertion(() => Assert.Contains(Snackbars, s => s.Severity == Severity.Error
            && (s.Message ?? "").Contains("Line 2, column 'cost': 'abc' is not a number", StringComparison.Ordinal)));
        Assert.False(await db.ReconciliationReports.AnyAsync(r => r.FileName == "bad.csv"));
    }
}
