using ControlPlane.Components.Layout;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Metering;
using ControlPlane.Features.People;

namespace ControlPlane.Tests.Components;

public sealed class ShellComponentTests
{
    [Theory]
    [InlineData(Roles.Owner, true)]
    [InlineData(Roles.Admin, true)]
    [InlineData(Roles.Auditor, true)]
    [InlineData(Roles.FinanceAdmin, false)]
    [InlineData(Roles.TeamLead, false)]
    [InlineData(Roles.Member, false)]
    public async Task The_nav_lists_the_audit_area_only_to_roles_that_may_open_it(string role, bool showsAudit)
    {
        var html = await StaticRenderer.RenderAsync<NavMenu>(role);

        Assert.Contains("href=\"/teams\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/keys\"", html, StringComparison.Ordinal);
        Assert.Equal(showsAudit, html.Contains("href=\"/audit\"", StringComparison.Ordinal));
    }

    private static readonly string[] GatewayAreas = ["/calls", "/models", "/providers", "/prices"];

    [Theory]
    [InlineData(Roles.Owner, true, true)]
    [InlineData(Roles.Admin, true, true)]
    [InlineData(Roles.Auditor, true, true)]
    [InlineData(Roles.FinanceAdmin, false, true)]
    [InlineData(Roles.TeamLead, false, false)]
    [InlineData(Roles.Member, false, false)]
    public async Task The_nav_groups_the_gateway_areas_and_lists_each_only_to_roles_that_may_open_it(string role, bool showsProviders, bool showsPrices)
    {
        var html = await StaticRenderer.RenderAsync<NavMenu>(role);

        Assert.Contains(">Gateway<", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/calls\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/models\"", html, StringComparison.Ordinal);
        Assert.Equal(showsProviders, html.Contains("href=\"/providers\"", StringComparison.Ordinal));
        Assert.Equal(showsPrices, html.Contains("href=\"/prices\"", StringComparison.Ordinal));
        // In the Gateway group, in this order: what happened, what callers can ask for, who serves it, what it costs.
        var order = GatewayAreas.Select(p => html.IndexOf($"href=\"{p}\"", StringComparison.Ordinal)).Where(i => i >= 0).ToList();
        Assert.Equal(order.Order(), order);
        Assert.True(html.IndexOf(">Gateway<", StringComparison.Ordinal) < order[0]);
    }

    [Theory]
    [MemberData(nameof(AllRoles))]
    public async Task The_nav_lists_wallets_to_every_role_before_the_gateway_group(string role)
    {
        var html = await StaticRenderer.RenderAsync<NavMenu>(role);

        Assert.Contains("href=\"/wallets\"", html, StringComparison.Ordinal);
        Assert.Contains(">Wallets<", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("href=\"/wallets\"", StringComparison.Ordinal) < html.IndexOf(">Gateway<", StringComparison.Ordinal));
    }

    public static TheoryData<string> AllRoles => [.. Roles.All];

    [Fact]
    public async Task The_nav_lists_nothing_to_someone_not_signed_in()
    {
        var html = await StaticRenderer.RenderAsync<NavMenu>(role: null);

        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Gateway", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UsageSource.Estimated, "rz-badge-warning", ">estimated<")]
    [InlineData(UsageSource.Provider, "rz-badge-base", ">provider<")]
    [InlineData(UsageSource.None, "rz-badge-light", ">none<")]
    public async Task A_usage_source_badge_highlights_estimated_usage(UsageSource source, string cssClass, string text)
    {
        var html = await StaticRenderer.RenderAsync<UsageSourceBadge>(parameters: new() { [nameof(UsageSourceBadge.Source)] = source });

        Assert.Contains(cssClass, html, StringComparison.Ordinal);
        Assert.Contains(text, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_provider_is_shown_as_such_with_its_message_and_no_models()
    {
        var check = new ConnectionCheck(false, null, 74, "Could not connect: Connection refused (127.0.0.1:9)", []);

        var html = await StaticRenderer.RenderAsync<ConnectionCheckView>(parameters: new()
        {
            [nameof(ConnectionCheckView.Provider)] = "local",
            [nameof(ConnectionCheckView.Check)] = check,
        });

        Assert.Contains(">not reachable<", html, StringComparison.Ordinal);
        Assert.Contains(">no HTTP answer<", html, StringComparison.Ordinal);
        Assert.Contains(">74 ms<", html, StringComparison.Ordinal);
        Assert.Contains("Could not connect: Connection refused (127.0.0.1:9)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("connection-models", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reachable_provider_lists_its_models()
    {
        var check = new ConnectionCheck(true, 200, 131, "Connected in 131 ms; 2 model(s) listed.", ["gpt-4o", "gpt-4o-mini"]);

        var html = await StaticRenderer.RenderAsync<ConnectionCheckView>(parameters: new()
        {
            [nameof(ConnectionCheckView.Provider)] = "openai",
            [nameof(ConnectionCheckView.Check)] = check,
        });

        Assert.Contains(">reachable<", html, StringComparison.Ordinal);
        Assert.Contains(">HTTP 200<", html, StringComparison.Ordinal);
        Assert.Contains(">gpt-4o<", html, StringComparison.Ordinal);
        Assert.Contains(">gpt-4o-mini<", html, StringComparison.Ordinal);
        Assert.Contains("2 model(s) openai lists", html, StringComparison.Ordinal);
    }
}
