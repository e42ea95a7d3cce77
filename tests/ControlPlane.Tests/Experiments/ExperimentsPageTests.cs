using Bunit;
using ControlPlane.Features.Experiments;
using ControlPlane.Tests.Components;
using ControlPlane.Tests.Gateway.Pages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Experiments;

/// <summary>The Experiments page: admins start, watch and promote; the auditor and team leads read; the dialog refuses bad splits.</summary>
public sealed class ExperimentsPageTests(DashboardApp app) : GatewayPageContext(app), IClassFixture<DashboardApp>
{
    private Task<ExperimentRow> DraftAsync(string alias, string name) =>
        App.App.WithScopeAsync(async sp =>
        {
            var saved = await sp.GetRequiredService<ExperimentService>().SaveAsync(TestAdmin, null, new ExperimentForm
            {
                Name = name, Model = alias,
                Variants = [new() { Name = "A", TargetAlias = alias, Percent = 60 }, new() { Name = "B", TargetAlias = "gpt-4o-mini", Percent = 40, MaxTokens = 200 }],
            });
            Assert.True(saved.Succeeded, saved.Error);
            return saved.Value!;
        });

    private static AngleSharp.Dom.IElement Card(IRenderedComponent<ExperimentsPage> page, string name) =>
        page.FindAll("[data-testid=experiment-card]").Single(c => c.QuerySelector("[data-testid=experiment-name]")!.TextContent.Trim() == name);

    [Fact]
    public async Task An_admin_starts_an_experiment_watches_its_variants_and_promotes_the_winner_after_confirming()
    {
        await DraftAsync("claude-haiku", "haiku vs mini");
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ExperimentsPage>();
        page.WaitForAssertion(() => Assert.Equal("Draft", Card(page, "haiku vs mini").QuerySelector("[data-testid=experiment-status]")!.TextContent.Trim()));

        Card(page, "haiku vs mini").QuerySelector("[data-testid=start-experiment]")!.Click();
        page.WaitForAssertion(() => Assert.Equal("Running", Card(page, "haiku vs mini").QuerySelector("[data-testid=experiment-status]")!.TextContent.Trim()));
        Assert.Contains(Snackbar.ShownSnackbars, s => (s.Message ?? "").Contains("is running", StringComparison.Ordinal));

        Card(page, "haiku vs mini").QuerySelector("[data-testid=show-results]")!.Click();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=variant-row]").Count));
        Assert.Contains("Not every variant has 100 calls yet", page.Find("[data-testid=results-verdict]").TextContent, StringComparison.Ordinal);

        page.FindAll("[data-testid=promote-variant]")[1].Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("until an admin archives the experiment", Dialogs.Markup, StringComparison.Ordinal));
        DialogButton("Promote B").Click();

        page.WaitForAssertion(() => Assert.Contains("Winner B", Card(page, "haiku vs mini").QuerySelector("[data-testid=experiment-winner]")!.TextContent, StringComparison.Ordinal));
        Assert.Equal("Concluded", Card(page, "haiku vs mini").QuerySelector("[data-testid=experiment-status]")!.TextContent.Trim());
    }

    [Theory]
    [InlineData("aria.auditor@acme.test", "claude-sonnet")]
    [InlineData("leo.lead@acme.test", "gpt-4o")]
    public async Task The_auditor_and_team_leads_read_experiments_without_any_button_that_changes_them(string email, string alias)
    {
        await DraftAsync(alias, $"read-only {email}");
        await SignInAsAsync(email);

        var page = Render<ExperimentsPage>();

        page.WaitForAssertion(() => Assert.NotNull(Card(page, $"read-only {email}")));
        Assert.Empty(page.FindAll("[data-testid=new-experiment]"));
        Assert.Empty(page.FindAll("[data-testid=start-experiment]"));
        Assert.Empty(page.FindAll("[data-testid=archive-experiment]"));
        Assert.Contains($"60 % → {alias}", Card(page, $"read-only {email}").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dialog_refuses_shares_that_do_not_add_up_to_100_and_says_so_beside_the_form()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var form = new ExperimentForm
        {
            Name = "bad split", Model = "gpt-4o",
            Variants = [new() { Name = "A", TargetAlias = "gpt-4o", Percent = 70 }, new() { Name = "B", TargetAlias = "gpt-4o-mini", Percent = 50 }],
        };
        var choices = new ExperimentChoices(["gpt-4o", "gpt-4o-mini"], [], [], []);

        await Dialogs.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<ExperimentDialog>("New experiment",
            new DialogParameters<ExperimentDialog> { { d => d.Form, form }, { d => d.Choices, choices }, { d => d.Actor, TestAdmin } }));
        Dialogs.WaitForAssertion(() => Assert.Equal("Total 120 %", Dialogs.Find("[data-testid=percent-sum]").TextContent.Trim()));
        Dialogs.Find("[data-testid=save-experiment]").Click();

        Dialogs.WaitForAssertion(() => Assert.Equal("The shares add up to 120 %, not 100 %.", Dialogs.Find("[data-testid=form-error]").TextContent.Trim()));
        var rows = await App.App.WithScopeAsync(sp => sp.GetRequiredService<ExperimentService>().ListAsync(TestAdmin));
        Assert.DoesNotContain(rows, r => r.Name == "bad split");
    }

    [Fact]
    public async Task The_shadow_tab_reports_what_each_shadow_test_found()
    {
        Guid key;
        await using (var db = App.App.OpenDb())
            key = await db.ApiKeys.Where(k => k.RevokedAt == null).Select(k => k.Id).FirstAsync();
        var saved = await App.App.WithScopeAsync(sp => sp.GetRequiredService<ShadowService>().SaveAsync(TestAdmin, null,
            new ShadowForm { Name = "mini shadows 4o", Model = "gpt-4o", ShadowAlias = "gpt-4o-mini", SamplePercent = 5, MaxConcurrent = 2, BillingKeyId = key }));
        Assert.True(saved.Succeeded, saved.Error);

        var page = Render<ShadowTestsTab>(p => p.Add(t => t.Actor, TestAdmin).Add(t => t.CanManage, true));

        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=shadow-row]"), r => r.TextContent.Contains("mini shadows 4o", StringComparison.Ordinal)));
        var row = page.FindAll("[data-testid=shadow-row]").Single(r => r.TextContent.Contains("mini shadows 4o", StringComparison.Ordinal));
        Assert.Contains("no shadowed calls yet", row.QuerySelector("[data-testid=shadow-summary]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("gpt-4o → gpt-4o-mini", row.TextContent, StringComparison.Ordinal);
    }
}
