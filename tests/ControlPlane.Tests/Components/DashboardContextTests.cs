using Bunit;
using ControlPlane.Features.Audit;
using MudBlazor;

namespace ControlPlane.Tests.Components;

/// <summary>The component-test context itself: real data, real policies, MudBlazor rendering.</summary>
public sealed class DashboardContextTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task A_page_renders_the_demo_data_for_the_signed_in_person()
    {
        await SignInAsAsync("aria.auditor@acme.test");

        var page = Render<AuditPage>();

        page.WaitForAssertion(() => Assert.Contains("system:demo-data", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public void MudBlazor_components_render_with_the_registered_services()
    {
        var clicks = 0;
        var button = Render<MudButton>(p => p.Add(b => b.OnClick, () => clicks++).AddChildContent("Save"));

        button.Find("button").Click();

        Assert.Equal(1, clicks);
    }
}
