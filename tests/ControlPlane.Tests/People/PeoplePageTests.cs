using AngleSharp.Dom;
using Bunit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Components;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.People;

/// <summary>The People page on the real app's services and demo data, for each role.</summary>
public sealed class PeoplePageTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    private static IElement? RowOf(IRenderedComponent<PeoplePage> page, string email) =>
        page.FindAll("[data-testid=people-grid] tbody tr").FirstOrDefault(r => r.QuerySelector("[data-testid=person-email]")?.TextContent.Trim() == email);

    private static IElement Button(IRenderedComponent<MudDialogProvider> dialogs, string text) =>
        dialogs.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == text);

    private async Task<User> PersonAsync(string email) => await App.PersonAsync(email);

    [Fact]
    public async Task An_Owner_sees_everyone_with_e_mail_role_status_teams_and_sign_in_and_the_actions()
    {
        await SignInAsAsync(DemoOrg.Olivia);
        var (_, page) = RenderWithDialogs<PeoplePage>();

        page.WaitForAssertion(() => Assert.NotNull(RowOf(page, DemoOrg.Leo)));
        var leo = RowOf(page, DemoOrg.Leo)!;
        Assert.Contains("Leo Lead", leo.TextContent, StringComparison.Ordinal);
        Assert.Contains("TeamLead", leo.TextContent, StringComparison.Ordinal);
        Assert.Equal("Engineering (lead), Platform (lead)", leo.QuerySelector("[data-testid=person-teams]")!.TextContent.Trim());
        Assert.Equal("active", leo.QuerySelector("[data-testid=person-status]")!.TextContent.Trim());
        Assert.NotNull(leo.QuerySelector("[data-testid=person-sign-in]"));
        Assert.NotNull(leo.QuerySelector("[data-testid=sign-out-everywhere]"));
        Assert.Equal("Switch off", leo.QuerySelector("[data-testid=switch-person]")!.TextContent.Trim());
        Assert.Equal(Features.Demo.DemoData.People.Count, page.FindAll("[data-testid=person-email]").Count);
        // Nobody switches themselves off: no such button on the Owner's own row.
        Assert.Null(RowOf(page, DemoOrg.Olivia)!.QuerySelector("[data-testid=switch-person]"));
    }

    [Fact]
    public async Task An_Admin_sees_everyone_but_no_Owner_actions()
    {
        await SignInAsAsync(DemoOrg.Adam);
        var (_, page) = RenderWithDialogs<PeoplePage>();

        page.WaitForAssertion(() => Assert.NotNull(RowOf(page, DemoOrg.Sam)));
        Assert.Empty(page.FindAll("[data-testid=sign-out-everywhere]"));
        Assert.Empty(page.FindAll("[data-testid=switch-person]"));
    }

    [Theory]
    [InlineData(DemoOrg.Fiona)]
    [InlineData(DemoOrg.Leo)]
    [InlineData(DemoOrg.Mia)]
    [InlineData(DemoOrg.Aria)]
    public async Task Other_roles_are_shown_no_one_even_if_the_page_is_rendered(string email)
    {
        await SignInAsAsync(email);
        var (_, page) = RenderWithDialogs<PeoplePage>();

        page.WaitForAssertion(() => Assert.Contains("No one matches.", page.Markup, StringComparison.Ordinal));
        Assert.Empty(page.FindAll("[data-testid=person-email]"));
    }

    [Fact]
    public async Task An_Owner_signs_a_person_out_everywhere_after_confirming_and_hears_so()
    {
        await SignInAsAsync(DemoOrg.Olivia);
        var before = (await PersonAsync(DemoOrg.Mia)).SessionVersion;
        var (dialogs, page) = RenderWithDialogs<PeoplePage>();
        page.WaitForAssertion(() => Assert.NotNull(RowOf(page, DemoOrg.Mia)));

        RowOf(page, DemoOrg.Mia)!.QuerySelector("[data-testid=sign-out-everywhere]")!.Click();
        dialogs.WaitForAssertion(() => Assert.Contains("End every session of Mia Member", dialogs.Find(".mud-dialog").TextContent, StringComparison.Ordinal));
        Button(dialogs, "Cancel").Click();
        Assert.Equal(before, (await PersonAsync(DemoOrg.Mia)).SessionVersion);

        RowOf(page, DemoOrg.Mia)!.QuerySelector("[data-testid=sign-out-everywhere]")!.Click();
        dialogs.WaitForAssertion(() => Button(dialogs, "Sign out everywhere"));
        Button(dialogs, "Sign out everywhere").Click();

        page.WaitForAssertion(() => Assert.Contains(Snackbars, s => s.Message!.Contains($"{DemoOrg.Mia} is signed out everywhere", StringComparison.Ordinal) && s.Severity == Severity.Success));
        Assert.Equal(before + 1, (await PersonAsync(DemoOrg.Mia)).SessionVersion);
    }

    [Fact]
    public async Task An_Owner_switches_a_person_off_with_the_reason_shown_and_back_on()
    {
        await SignInAsAsync(DemoOrg.Olivia);
        var (dialogs, page) = RenderWithDialogs<PeoplePage>();
        page.WaitForAssertion(() => Assert.NotNull(RowOf(page, DemoOrg.Sam)));

        RowOf(page, DemoOrg.Sam)!.QuerySelector("[data-testid=switch-person]")!.Click();
        dialogs.WaitForAssertion(() => Button(dialogs, "Switch off"));
        Button(dialogs, "Switch off").Click();

        page.WaitForAssertion(() => Assert.Equal("switched off", RowOf(page, DemoOrg.Sam)!.QuerySelector("[data-testid=person-status]")!.TextContent.Trim()));
        Assert.Contains("Switched off by an Owner", RowOf(page, DemoOrg.Sam)!.QuerySelector("[data-testid=person-inactive-reason]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(Snackbars, s => s.Message!.Contains($"{DemoOrg.Sam} is switched off", StringComparison.Ordinal));
        Assert.False((await PersonAsync(DemoOrg.Sam)).IsActive);
        Assert.Null(RowOf(page, DemoOrg.Sam)!.QuerySelector("[data-testid=sign-out-everywhere]"));

        RowOf(page, DemoOrg.Sam)!.QuerySelector("[data-testid=switch-person]")!.Click();
        dialogs.WaitForAssertion(() => Button(dialogs, "Switch on"));
        Button(dialogs, "Switch on").Click();

        page.WaitForAssertion(() => Assert.Equal("active", RowOf(page, DemoOrg.Sam)!.QuerySelector("[data-testid=person-status]")!.TextContent.Trim()));
        Assert.True((await PersonAsync(DemoOrg.Sam)).IsActive);
        var target = $"user:{(await PersonAsync(DemoOrg.Sam)).Id}";
        await using var db = App.App.OpenDb();
        var actions = await db.AuditEntries.AsNoTracking().Where(e => e.Target == target).Select(e => e.Action).ToListAsync();
        Assert.Contains("user.switched_off", actions);
        Assert.Contains("user.switched_on", actions);
    }

    [Fact]
    public async Task A_switch_that_the_service_refuses_ends_in_an_error_snackbar_with_the_reason()
    {
        await SignInAsAsync(DemoOrg.Olivia);
        var (dialogs, page) = RenderWithDialogs<PeoplePage>();
        page.WaitForAssertion(() => Assert.NotNull(RowOf(page, DemoOrg.Rita)));
        // Another Owner (the command line) switches Rita off while this page still shows her on.
        var rita = (await PersonAsync(DemoOrg.Rita)).Id;
        var off = await App.App.WithScopeAsync(sp => sp.GetRequiredService<PeopleDirectory>().SetActiveAsync(Actor.CommandLine, rita, false));
        Assert.True(off.Succeeded, off.Error);

        RowOf(page, DemoOrg.Rita)!.QuerySelector("[data-testid=switch-person]")!.Click();
        dialogs.WaitForAssertion(() => Button(dialogs, "Switch off"));
        Button(dialogs, "Switch off").Click();

        page.WaitForAssertion(() => Assert.Contains(Snackbars, s => s.Severity == Severity.Error
            && s.Message!.Contains($"Could not switch {DemoOrg.Rita} off: {DemoOrg.Rita} is already switched off.", StringComparison.Ordinal)));
        page.WaitForAssertion(() => Assert.Equal("Switch on", RowOf(page, DemoOrg.Rita)!.QuerySelector("[data-testid=switch-person]")!.TextContent.Trim()));
        var on = await App.App.WithScopeAsync(sp => sp.GetRequiredService<PeopleDirectory>().SetActiveAsync(Actor.CommandLine, rita, true));
        Assert.True(on.Succeeded, on.Error);
    }
}
