using Bunit;
using ControlPlane.Components.Charts;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace ControlPlane.Tests.Components.Charts;

/// <summary>
/// The chart component's life with its script, in bUnit's strict JS interop (every call must be expected): the module
/// imported once, the chart created once, then updated in place, and destroyed with the component.
/// </summary>
public sealed class ApexChartTests : BunitContext
{
    private const string ModuleUrl = "http://localhost/assets/js/charts.js";
    private const string LibraryUrl = "http://localhost/assets/lib/apexcharts/apexcharts.min.js";
    private static readonly DateTime Day = new(2026, 11, 14, 0, 0, 0, DateTimeKind.Utc);

    private readonly BunitJSModuleInterop _module;

    public ApexChartTests()
    {
        JSInterop.Mode = JSRuntimeMode.Strict;
        _module = JSInterop.SetupModule(ModuleUrl);
        foreach (var call in new[] { "create", "update", "updateSeries", "destroy" })
            _module.SetupVoid(call, _ => true).SetVoidResult();
    }

    private static IReadOnlyList<ChartSeries> Spend(params decimal[] perDay) =>
        [new ChartSeries("Platform", [.. perDay.Select((cost, i) => new ChartPoint(Day.AddDays(i), cost))])];

    private static ChartSpec SpecOf(JSRuntimeInvocation invocation) => Assert.IsType<ChartSpec>(invocation.Arguments[1]);

    [Fact]
    public void The_chart_imports_its_module_and_creates_the_chart_once_with_its_series()
    {
        var chart = Render<ApexChart>(p => p.Add(c => c.Series, Spend(1.5m, 0m)).Add(c => c.Kind, ChartKind.Bar).Add(c => c.Stacked, true));

        var import = Assert.Single(JSInterop.Invocations, i => i.Identifier == "import");
        Assert.Equal(ModuleUrl, import.Arguments[0]);
        var create = _module.VerifyInvoke("create", calledTimes: 1)[0];
        Assert.IsType<ElementReference>(create.Arguments[0]);
        Assert.Equal(LibraryUrl, create.Arguments[2]);
        var spec = SpecOf(create);
        Assert.Equal("bar", spec.Kind);
        Assert.True(spec.Stacked);
        var series = Assert.Single(spec.Series);
        Assert.Equal("Platform", series.Name);
        // Points go as [epoch milliseconds, value]: 2026-11-14T00:00Z is 1794614400000.
        Assert.Equal([1_794_614_400_000m, 1.5m], series.Data[0]);
        Assert.Equal([1_794_700_800_000m, 0m], series.Data[1]);

        chart.Render(p => p.Add(c => c.Series, Spend(1.5m, 0m)).Add(c => c.Kind, ChartKind.Bar).Add(c => c.Stacked, true));

        _module.VerifyInvoke("create", calledTimes: 1);
        _module.VerifyNotInvoke("update");
        _module.VerifyNotInvoke("updateSeries");
    }

    [Fact]
    public void New_data_updates_the_series_in_place_without_creating_the_chart_again()
    {
        var chart = Render<ApexChart>(p => p.Add(c => c.Series, Spend(1m)));

        chart.Render(p => p.Add(c => c.Series, Spend(1m, 2m, 3m)));

        _module.VerifyInvoke("create", calledTimes: 1);
        _module.VerifyNotInvoke("update");
        var update = _module.VerifyInvoke("updateSeries", calledTimes: 1)[0];
        Assert.Equal(3, Assert.Single(SpecOf(update).Series).Data.Count);
        Assert.Single(JSInterop.Invocations, i => i.Identifier == "import");
    }

    [Fact]
    public void A_new_limit_updates_the_options_without_creating_the_chart_again()
    {
        var chart = Render<ApexChart>(p => p.Add(c => c.Series, Spend(1m)).Add(c => c.Kind, ChartKind.Area));

        chart.Render(p => p.Add(c => c.Series, Spend(1m)).Add(c => c.Kind, ChartKind.Area).Add(c => c.Limit, 10m).Add(c => c.LimitLabel, "Limit $10.00"));

        _module.VerifyInvoke("create", calledTimes: 1);
        var spec = SpecOf(_module.VerifyInvoke("update", calledTimes: 1)[0]);
        Assert.Equal(10m, spec.Limit);
        Assert.Equal("Limit $10.00", spec.LimitLabel);
        Assert.Equal("area", spec.Kind);
    }

    [Fact]
    public void The_chart_takes_the_dark_palette_when_the_shell_cascades_dark_mode()
    {
        Render<ApexChart>(p => p.Add(c => c.Series, Spend(1m)).AddCascadingValue("IsDarkMode", true));

        var spec = SpecOf(_module.VerifyInvoke("create", calledTimes: 1)[0]);
        var dark = new MudTheme().PaletteDark;
        Assert.True(spec.Dark);
        Assert.Equal(dark.Primary.ToString(MudBlazor.Utilities.MudColorOutputFormats.Hex), spec.Colors[0]);
        Assert.Equal(dark.TextSecondary.ToString(MudBlazor.Utilities.MudColorOutputFormats.RGBA), spec.ForeColor);
    }

    [Fact]
    public void The_chart_follows_the_shells_theme_when_it_changes()
    {
        var shell = Render<DarkModeShell>(p => p.Add(s => s.IsDarkMode, false).Add(s => s.Series, Spend(1m)));
        Assert.False(SpecOf(_module.VerifyInvoke("create", calledTimes: 1)[0]).Dark);

        shell.Render(p => p.Add(s => s.IsDarkMode, true).Add(s => s.Series, Spend(1m)));

        Assert.True(SpecOf(_module.VerifyInvoke("update", calledTimes: 1)[0]).Dark);
        _module.VerifyInvoke("create", calledTimes: 1);
        _module.VerifyNotInvoke("updateSeries");
    }

    /// <summary>What the shell does around every page: cascades its dark-mode switch by the name the chart reads.</summary>
    private sealed class DarkModeShell : ComponentBase
    {
        [Parameter] public bool IsDarkMode { get; set; }
        [Parameter] public IReadOnlyList<ChartSeries> Series { get; set; } = [];

        protected override void BuildRenderTree(Microsoft.AspNetCore.Components.Rendering.RenderTreeBuilder builder)
        {
            builder.OpenComponent<CascadingValue<bool>>(0);
            builder.AddComponentParameter(1, nameof(CascadingValue<bool>.Name), "IsDarkMode");
            builder.AddComponentParameter(2, nameof(CascadingValue<bool>.Value), IsDarkMode);
            builder.AddComponentParameter(3, nameof(CascadingValue<bool>.ChildContent), (RenderFragment)(chart =>
            {
                chart.OpenComponent<ApexChart>(0);
                chart.AddComponentParameter(1, nameof(ApexChart.Series), Series);
                chart.CloseComponent();
            }));
            builder.CloseComponent();
        }
    }

    [Fact]
    public async Task Disposing_the_component_destroys_the_chart()
    {
        var chart = Render<ApexChart>(p => p.Add(c => c.Series, Spend(1m)));
        var element = _module.VerifyInvoke("create", calledTimes: 1)[0].Arguments[0];

        await DisposeComponentsAsync();

        var destroy = _module.VerifyInvoke("destroy", calledTimes: 1)[0];
        Assert.Equal(element, destroy.Arguments[0]);
    }

    [Fact]
    public async Task A_circuit_that_ended_first_is_not_an_error_when_the_chart_is_disposed()
    {
        _module.SetupVoid("destroy", _ => true).SetException(new JSDisconnectedException("The circuit has ended."));
        Render<ApexChart>(p => p.Add(c => c.Series, Spend(1m)));

        await DisposeComponentsAsync();

        _module.VerifyInvoke("destroy", calledTimes: 1);
    }
}
