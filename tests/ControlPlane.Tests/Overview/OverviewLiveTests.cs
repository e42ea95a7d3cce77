using Bunit;
using ControlPlane.Components.Charts;
using ControlPlane.Features.Demo;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Overview;
using ControlPlane.Features.Teams;
using ControlPlane.Tests.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Overview;

/// <summary>
/// The Overview's new panels over the demo data (seeded at the real moment; everything asserted is relative to it):
/// the ticker moving when the call-log writer settles a call, the breakdown switching dimension in place, the demo's
/// burst among the anomalies, and the budgets' forecasts.
/// </summary>
public sealed class OverviewLiveTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task The_ticker_moves_when_the_writer_settles_a_call_without_a_reload()
    {
        await SignInAsAsync("adam.admin@acme.test");
        var key = Guid.NewGuid(); // a key of its own, so no other test's calls move this ticker
        var ticker = Render<SpendTickerPanel>(p => p.Add(c => c.Scope, new OverviewScope(TeamScope.Everything, new HashSet<Guid> { key })));
        ticker.WaitForAssertion(() => Assert.Equal("$0.00", Value(ticker, "ticker-today")));

        var now = App.App.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        await App.App.Services.GetRequiredService<CallLog>().RecordAsync(new MeteredCall(new CallRecord
        {
            Id = Guid.CreateVersion7(), At = now, KeyId = key, Endpoint = "chat", ModelRequested = "gpt-4o", ModelServed = "gpt-4o",
            ProviderName = "openai", Status = 200, InputTokens = 1000, OutputTokens = 100, Cost = 1.25m, UsageSource = UsageSource.Provider, LatencyMs = 300,
        }));

        ticker.WaitForAssertion(() => Assert.Equal("$1.25", Value(ticker, "ticker-today")), TimeSpan.FromSeconds(20));
        Assert.Equal("$1.25", Value(ticker, "ticker-hour"));
        Assert.Contains("1 today", ticker.Find("[data-testid=ticker-calls]").TextContent, StringComparison.Ordinal);
        Assert.NotEqual("0", Value(ticker, "ticker-calls"));
        Assert.Equal("0", Value(ticker, "ticker-errors"));
    }

    private static string Value<T>(IRenderedComponent<T> root, string testId) where T : Microsoft.AspNetCore.Components.IComponent =>
        root.Find($"[data-testid={testId}] [data-testid=ticker-value]").TextContent.Trim();

    [Fact]
    public async Task The_breakdown_switches_from_model_to_provider_in_place()
    {
        var module = JSInterop.SetupModule("http://localhost/" + ApexChart.ModulePath);
        await SignInAsAsync("adam.admin@acme.test");
        var chart = Render<SpendBreakdownChart>(p => p.Add(c => c.Scope, OverviewScope.Everything).Add(c => c.Range, OverviewRange.Week));
        chart.WaitForAssertion(() => Assert.Contains(chart.FindComponent<ApexChart>().Instance.Series, s => s.Name == "claude-sonnet-4-5"));
        Assert.All(chart.FindComponent<ApexChart>().Instance.Series, s => Assert.Equal(7, s.Points.Count));

        chart.Find("[data-testid=spend-breakdown-by]").QuerySelectorAll("*").First(e => e.TextContent.Trim() == "Provider" && e.GetAttribute("blazor:onclick") is not null).Click();

        chart.WaitForAssertion(() => Assert.Contains(chart.FindComponent<ApexChart>().Instance.Series, s => s.Name == "anthropic"));
        Assert.Subset(new HashSet<string> { "openai", "azure-eu", "anthropic", "gemini", "groq" }, chart.FindComponent<ApexChart>().Instance.Series.Select(s => s.Name).ToHashSet());
        Assert.Contains("Spend by provider", chart.Markup, StringComparison.Ordinal);
        chart.WaitForAssertion(() => module.VerifyInvoke("updateSeries", calledTimes: 1));
        module.VerifyInvoke("create", calledTimes: 1);
    }

    [Fact]
    public async Task An_admin_sees_the_demo_burst_among_the_anomalies_top_spenders_and_budget_forecasts()
    {
        await SignInAsAsync("adam.admin@acme.test");

        var page = Render<OverviewPage>();

        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=anomaly]"), a => a.TextContent.Contains($"key {DemoGateway.BurstingKey}", StringComparison.Ordinal)));
        var burst = page.FindAll("[data-testid=anomaly]").First(a => a.TextContent.Contains(DemoGateway.BurstingKey, StringComparison.Ordinal)).TextContent;
        Assert.Contains("σ above its usual", burst, StringComparison.Ordinal);
        Assert.Contains(page.FindAll("[data-testid=top-caller]"), c => c.TextContent.Contains("notebook", StringComparison.Ordinal));
        Assert.Equal(TopSpenders.Listed, page.FindAll("[data-testid=top-key]").Count);
        var forecasts = page.FindAll("[data-testid=wallet-forecast]");
        Assert.Contains(forecasts, f => f.TextContent.Contains("Team Search", StringComparison.Ordinal));
        Assert.All(page.FindAll("[data-testid=forecast-text]"), f => Assert.Matches("^(at this rate runs out .+|will not run out this period at this rate|has run out)$", f.TextContent.Trim()));
    }
}
