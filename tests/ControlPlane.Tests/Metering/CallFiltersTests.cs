using Bunit;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Components;
using MudBlazor;

namespace ControlPlane.Tests.Metering;

/// <summary>The Requests filters alone (bUnit): they show the URL's view and hand back a new view, first page, on each change.</summary>
public sealed class CallFiltersTests : MudContext
{
    private readonly List<CallView> _changes = [];

    private IRenderedComponent<CallFilters> Render(CallView view, IReadOnlyList<TeamChoice>? teams = null)
    {
        Render<MudPopoverProvider>();
        return Render<CallFilters>(p => p
            .Add(f => f.View, view)
            .Add(f => f.ViewChanged, v => _changes.Add(v))
            .Add(f => f.Teams, teams ?? [])
            .Add(f => f.Models, ["gpt-4o", "gpt-4o-mini"])
            .Add(f => f.Providers, ["openai", "anthropic"])
            .Add(f => f.ErrorClasses, ["upstream_error", "upstream_timeout"]));
    }

    /// <summary>MudBlazor puts a field's test id on its input, or on an element around it.</summary>
    private static AngleSharp.Dom.IElement Input(IRenderedComponent<CallFilters> filters, string testId)
    {
        var marked = filters.Find($"[data-testid={testId}]");
        return marked.LocalName == "input" ? marked : marked.QuerySelector("input")!;
    }

    private static string ValueOf(IRenderedComponent<CallFilters> filters, string testId) => Input(filters, testId).GetAttribute("value") ?? "";

    [Fact]
    public void The_fields_show_the_view_from_the_url()
    {
        var filters = Render(CallView.Parse("?caller=bot&user=u-7&status=429&costMin=0.5&model=gpt-4o&after=xyz"));

        Assert.Equal("bot", ValueOf(filters, "filter-caller"));
        Assert.Equal("u-7", ValueOf(filters, "filter-end-user"));
        Assert.Equal("429", ValueOf(filters, "filter-status"));
        Assert.Equal("gpt-4o", ValueOf(filters, "filter-model"));
        Assert.Contains("0.5", ValueOf(filters, "filter-cost-min"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_field_hands_back_the_view_with_that_filter_on_its_first_page()
    {
        var filters = Render(CallView.Parse("?model=gpt-4o&after=xyz&sort=cost"));

        Input(filters, "filter-status").Input("503"); // the field listens to input (debounced), not change
        filters.WaitForAssertion(() => Assert.NotEmpty(_changes));

        var changed = _changes[^1];
        Assert.Equal(503, changed.Filter.Status);
        Assert.Equal("gpt-4o", changed.Filter.Model);
        Assert.Null(changed.After);
        Assert.Equal(new CallSort(CallSortKey.Cost, true), changed.Sort);
    }

    [Fact]
    public void The_errors_toggle_and_the_streamed_choice_each_become_a_filter()
    {
        var filters = Render(new CallView());

        filters.FindAll("[data-testid=filter-outcome] button, [data-testid=filter-outcome] .mud-toggle-item").First(b => b.TextContent.Trim() == "Errors").Click();
        filters.WaitForAssertion(() => Assert.Equal(CallOutcome.Failed, Assert.Single(_changes).Filter.Outcome));

        var streamed = filters.FindComponents<MudSelect<bool?>>().Single();
        filters.InvokeAsync(() => streamed.Instance.SelectOption((bool?)false));
        filters.WaitForAssertion(() => Assert.Equal(false, _changes[^1].Filter.Streamed));
        Assert.Equal(CallOutcome.Failed, _changes[^1].Filter.Outcome);
    }
}
