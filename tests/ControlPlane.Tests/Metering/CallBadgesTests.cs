using Bunit;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Components;
using MudBlazor;

namespace ControlPlane.Tests.Metering;

/// <summary>The small badges of the Calls page: where the tokens came from, and how a call ended.</summary>
public sealed class CallBadgesTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Theory]
    [InlineData(UsageSource.Estimated, "estimated", Color.Warning)]
    [InlineData(UsageSource.Provider, "provider", Color.Default)]
    [InlineData(UsageSource.None, "none", Color.Default)]
    public void A_usage_source_badge_highlights_estimated_usage(UsageSource source, string text, Color color)
    {
        var badge = Render<UsageSourceBadge>(p => p.Add(b => b.Source, source));

        var chip = badge.FindComponent<MudChip<string>>();
        Assert.Equal(text, badge.Find("[data-testid=usage-source]").TextContent.Trim());
        Assert.Equal(color, chip.Instance.Color);
    }

    [Theory]
    [InlineData(200, null, "200", Color.Success)]
    [InlineData(429, "upstream_rate_limited", "429 upstream_rate_limited", Color.Warning)]
    [InlineData(502, "upstream_unavailable", "502 upstream_unavailable", Color.Error)]
    public void A_status_badge_names_the_error_class_in_the_colour_of_the_outcome(int status, string? errorClass, string text, Color color)
    {
        var call = new CallRow(Guid.NewGuid(), new DateTime(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc), null, null, null, null, "chat", "gpt-4o-mini",
            "gpt-4o-mini", "openai", null, status, errorClass, 0, true, 10, 0, 5, 0.001m, false, UsageSource.Provider, 100, 500, 20, 200, 300);

        var badge = Render<CallStatusBadge>(p => p.Add(b => b.Call, call));

        Assert.Equal(text, badge.Find("[data-testid=call-status]").TextContent.Trim());
        Assert.Equal(color, badge.FindComponent<MudChip<string>>().Instance.Color);
    }
}
