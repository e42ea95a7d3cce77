using AngleSharp.Dom;
using Bunit;
using ControlPlane.Features.Teams;
using ControlPlane.Tests.Components;
using MudBlazor;

namespace ControlPlane.Tests.Teams;

/// <summary>
/// The Teams page in bUnit with MudBlazor's providers beside it (dialogs and popovers render there, as in the app's
/// layout), and the few steps every Teams test takes: pick a team in the tree, find a dialog, read the snackbars.
/// </summary>
public abstract class TeamsPageContext(DashboardApp app) : DashboardContext(app)
{
    protected IRenderedComponent<MudDialogProvider> Dialogs { get; private set; } = default!;
    protected IRenderedComponent<MudPopoverProvider> Popovers { get; private set; } = default!;

    /// <summary>Signs the person in and opens /teams; waits until the tree shows.</summary>
    protected async Task<IRenderedComponent<TeamsPage>> OpenAsAsync(string email)
    {
        await SignInAsAsync(email);
        RenderProviders();
        var page = Render<TeamsPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=team-row]")));
        return page;
    }

    /// <summary>MudBlazor's popover and dialog providers, as the app's layout renders them.</summary>
    protected void RenderProviders()
    {
        Popovers = Render<MudPopoverProvider>();
        Dialogs = Render<MudDialogProvider>();
    }

    /// <summary>Clicks a team in the tree and waits for its members panel.</summary>
    protected static void SelectTeam(IRenderedComponent<TeamsPage> page, string name)
    {
        Row(page, name).Click();
        page.WaitForAssertion(() => Assert.EndsWith(name, page.Find("[data-testid=team-title]").TextContent.Trim(), StringComparison.Ordinal));
    }

    protected static IElement Row(IRenderedComponent<TeamsPage> page, string name) => page.Find($"[data-testid=team-row][data-team='{name}']");

    protected static IReadOnlyList<string> TreeNames(IRenderedComponent<TeamsPage> page) =>
        [.. page.FindAll("[data-testid=team-row]").Select(r => r.GetAttribute("data-team")!)];

    /// <summary>The open dialog with this test id (dialogs render in the provider, not in the page).</summary>
    protected IElement Dialog(string testId)
    {
        Dialogs.WaitForAssertion(() => Assert.Single(Dialogs.FindAll($"[data-testid={testId}]")));
        return Dialogs.Find($"[data-testid={testId}]");
    }

    /// <summary>Clicks a button of the open dialog (its actions render beside the content, so they are looked up in the provider).</summary>
    protected void Press(string dialogTestId, string buttonTestId)
    {
        Dialog(dialogTestId);
        Dialogs.Find($".mud-dialog [data-testid={buttonTestId}]").Click();
    }

    protected void AssertNoDialog() => Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll(".mud-dialog")));

    /// <summary>The input of a MudBlazor field (the test id lands on the field's root or on the input itself).</summary>
    protected IElement Input(string testId)
    {
        var field = Dialogs.Find($"[data-testid={testId}]");
        return field.TagName == "INPUT" ? field : field.QuerySelector("input")!;
    }

    /// <summary>The helper text under a field, where MudBlazor writes its validation message.</summary>
    protected string FieldMessages() => string.Join(" | ", Dialogs.FindAll(".mud-input-helper-text, .mud-input-error").Select(e => e.TextContent.Trim()));

    protected void AssertSnackbar(Severity severity, string text) =>
        Dialogs.WaitForAssertion(() => Assert.Contains(Snackbars, s => s.Severity == severity && s.Message?.Contains(text, StringComparison.Ordinal) == true));
}
