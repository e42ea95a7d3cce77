using AngleSharp.Dom;
using Bunit;
using MudBlazor;

namespace ControlPlane.Tests.Gateway.Pages;

/// <summary>What the gateway page tests do to MudBlazor's inputs and read back from them.</summary>
internal static class PageTestExtensions
{
    /// <summary>The validation message MudBlazor shows under the field that holds this element, or null.</summary>
    public static string? FieldError(this IElement inField) =>
        inField.Closest(".mud-input-control")?.QuerySelector(".mud-input-error .mud-input-helper-text, .mud-input-helper-text.mud-input-error")?.TextContent.Trim();

    /// <summary>Picks a value in a MudSelect the way its list would (bUnit has no popover to click in).</summary>
    public static Task ChooseAsync<T>(this IRenderedComponent<MudSelect<T>> select, T value) =>
        select.InvokeAsync(() => select.Instance.SelectOption(value));

    /// <summary>The texts of the snackbars shown so far.</summary>
    public static IReadOnlyList<(string Text, Severity Severity)> Shown(this ISnackbar snackbar) =>
        [.. snackbar.ShownSnackbars.Select(s => (s.Message ?? "", s.Severity))];
}
