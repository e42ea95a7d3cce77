using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E;

/// <summary>ApexCharts in Chromium: bundled with the app (no CDN), drawn on the Overview, updated in place.</summary>
[Collection(E2EFixtures.Name)]
public sealed class ChartsTests(RunningApp app, BrowserFixture browser, ITestOutputHelper output)
{
    /// <summary>The demo teams that have keys and calls (Engineering itself has none), as the legend names them.</summary>
    private static readonly string[] SpendingTeams = ["Engineering / Mobile", "Engineering / Platform", "Engineering / Platform / Search", "Research", "Sales"];

    [Fact]
    public async Task Overview_draws_spend_per_team_and_switches_range_in_place()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await page.SetViewportSizeAsync(1280, 800);
        await page.EmulateMediaAsync(new() { ReducedMotion = ReducedMotion.Reduce }); // bars drawn at once, for the screenshots
        await s.SignInAsAsync("Adam Admin");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();

        var chart = page.GetByTestId("team-spend-chart");
        await Expect(chart.Locator("svg.apexcharts-svg")).ToHaveCountAsync(1);
        await Expect(chart.Locator("svg g.apexcharts-series")).ToHaveCountAsync(SpendingTeams.Length);
        Assert.Equal(SpendingTeams, await SeriesNamesAsync(chart));
        await Expect(chart.Locator(".apexcharts-series").First.Locator("path.apexcharts-bar-area")).ToHaveCountAsync(30);
        await Expect(page.GetByTestId("team-spend-total")).ToContainTextAsync("Last 30 days");
        await Expect(chart.Locator("[data-apexcharts-watermark]")).ToHaveCountAsync(0);
        await s.ScreenshotAsync("overview-30-days");

        // Remember this document, the chart's element and the ApexCharts instance drawing in it (its canvas id is random
        // per instance; ApexCharts redraws its svg on every update): a reload or a chart created anew would lose them.
        await chart.EvaluateAsync("e => { window.cpChartContainer = e; window.cpCanvasId = e.querySelector('.apexcharts-canvas').id; }");

        await BrowserSession.ClickAsync(page.GetByTestId("team-spend-range").GetByText("7 days", new() { Exact = true }));
        await Expect(page.GetByTestId("team-spend-total")).ToContainTextAsync("Last 7 days");
        await Expect(chart.Locator(".apexcharts-series").First.Locator("path.apexcharts-bar-area")).ToHaveCountAsync(7);
        await Expect(chart.Locator("svg g.apexcharts-series")).ToHaveCountAsync(SpendingTeams.Length);
        Assert.Equal(SpendingTeams, await SeriesNamesAsync(chart));
        Assert.True(await page.EvaluateAsync<bool>(
            "() => window.cpChartContainer === document.querySelector('[data-testid=team-spend-chart]') && window.cpChartContainer.querySelectorAll('.apexcharts-canvas').length === 1 && window.cpChartContainer.querySelector('.apexcharts-canvas').id === window.cpCanvasId"),
            "The chart was created anew (or the page reloaded) instead of updated in place");
        Assert.Equal(1, await page.EvaluateAsync<int>("() => performance.getEntriesByType('navigation').length"));
        await s.ScreenshotAsync("overview-7-days");

        // Every page fits a 1280 px window.
        await s.AssertFitsWidthAsync(1280, "The Overview");

        // The library comes from the app itself (fingerprinted or plain path), never from a CDN.
        var library = await page.APIRequest.GetAsync("/assets/lib/apexcharts/apexcharts.min.js");
        Assert.Equal(200, library.Status);
        Assert.StartsWith("/*!\n * ApexCharts v4.7.0\n * (c) 2018-2025 ApexCharts\n * Released under the MIT License.", await library.TextAsync(), StringComparison.Ordinal);
        var scripts = await page.EvaluateAsync<string[]>("() => performance.getEntriesByType('resource').map(r => r.name).filter(n => /apexcharts|charts\\./.test(n))");
        Assert.NotEmpty(scripts);
        Assert.All(scripts, url => Assert.StartsWith(app.BaseUrl.ToString(), url, StringComparison.Ordinal));
        s.AssertNoBrowserErrors();
    }

    [Fact]
    public async Task Member_sees_only_her_teams_in_the_spend_chart()
    {
        await using var s = await BrowserSession.StartAsync(browser, app, output);
        var page = s.Page;
        await s.SignInAsAsync("Mia Member");

        var chart = page.GetByTestId("team-spend-chart");
        await Expect(chart.Locator("svg.apexcharts-svg")).ToHaveCountAsync(1);
        Assert.Equal(["Platform", "Platform / Search"], await SeriesNamesAsync(chart));
        s.AssertNoBrowserErrors();
    }

    /// <summary>The chart's series as its legend lists them (team paths from the top of what the reader sees), once ApexCharts has drawn them.</summary>
    private static async Task<string[]> SeriesNamesAsync(ILocator chart)
    {
        await Expect(chart.Locator(".apexcharts-legend-text").First).ToBeVisibleAsync();
        return [.. (await chart.Locator(".apexcharts-legend-text").AllTextContentsAsync()).Select(t => Regex.Replace(t, @"\s+", " ").Trim()).Order(StringComparer.Ordinal)];
    }
}
