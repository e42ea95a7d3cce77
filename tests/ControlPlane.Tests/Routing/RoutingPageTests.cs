using Bunit;
using ControlPlane.Features.Routing;
using ControlPlane.Tests.Components;
using ControlPlane.Tests.Gateway.Pages;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace ControlPlane.Tests.Routing;

/// <summary>The Routing page: the auditor reads, an admin adds a rule in the dialog, explains a request with it, and deletes it.</summary>
public sealed class RoutingPageTests(DashboardApp app) : GatewayPageContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task The_auditor_reads_rules_locks_and_the_explain_box_but_sees_no_button_that_changes_them()
    {
        await SignInAsAsync("aria.auditor@acme.test");

        var page = Render<RoutingPage>();

        page.WaitForElement("[data-testid=rules-table]");
        page.WaitForElement("[data-testid=region-locks]");
        Assert.NotNull(page.Find("[data-testid=explain-run]"));
        Assert.Empty(page.FindAll("[data-testid=new-rule]"));
        Assert.Empty(page.FindAll("[data-testid=rule-delete]"));
        Assert.Empty(page.FindAll("[data-testid=region-lock-set]"));
    }

    [Fact]
    public async Task An_admin_adds_a_rule_sees_it_explain_a_request_and_deletes_it_after_confirming()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<RoutingPage>();

        // A name the form refuses first: the message is beside the field and nothing is saved.
        page.WaitForElement("[data-testid=new-rule]").Click();
        Dialogs.WaitForElement("input[data-testid=rule-name-field]").Input("ui-batch");
        Dialogs.Find("[data-testid=rule-save]").Click();
        Dialogs.WaitForAssertion(() => Assert.Equal("Name at least one target: an alias, or provider/model.", Dialogs.Find("textarea[data-testid=rule-targets]").FieldError()));
        Dialogs.Find("input[data-testid=rule-tags]").Change("batch");
        Dialogs.Find("textarea[data-testid=rule-targets]").Input("gpt-4o");
        Dialogs.Find("[data-testid=rule-save]").Click();

        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=rule-dialog]")));
        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=rule-name]"), n => n.TextContent == "ui-batch"));
        var row = page.FindAll("[data-testid=rule-row]").Single(r => r.QuerySelector("[data-testid=rule-name]")!.TextContent == "ui-batch");
        Assert.Equal("tags=batch", row.QuerySelector("[data-testid=rule-conditions]")!.TextContent.Trim());
        Assert.Contains(Snackbar.Shown(), s => s is { Severity: Severity.Success, Text: "Rule 'ui-batch' added; it is live on every node." });
        await using (var db = App.App.OpenDb())
        {
            Assert.True(await db.RoutingRules.AnyAsync(r => r.Name == "ui-batch" && r.Enabled));
            Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "routing.rule_created" && e.Target == "routing-rule:ui-batch" && e.Actor == "adam.admin@acme.test"));
        }

        // The explain box runs the gateway's decision on a pasted request with the tag.
        page.Find("textarea[data-testid=explain-request]").Change("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""");
        page.Find("input[data-testid=explain-tags]").Change("batch");
        page.Find("[data-testid=explain-run]").Click();
        page.WaitForAssertion(() => Assert.Matches(@"^rule \d+ 'ui-batch' matched tags=batch; picked [^/]+/gpt-4o", page.Find("[data-testid=explain-reason]").TextContent.Trim()));
        Assert.NotEmpty(page.FindAll("[data-testid=explain-candidate]"));

        page.FindAll("[data-testid=rule-row]").Single(r => r.QuerySelector("[data-testid=rule-name]")!.TextContent == "ui-batch")
            .QuerySelector("[data-testid=rule-delete]")!.Click();
        Dialogs.WaitForAssertion(() => DialogButton("Delete").Click());
        page.WaitForAssertion(() => Assert.DoesNotContain(page.FindAll("[data-testid=rule-name]"), n => n.TextContent == "ui-batch"));
        await using (var db = App.App.OpenDb())
            Assert.False(await db.RoutingRules.AnyAsync(r => r.Name == "ui-batch"));
    }
}
