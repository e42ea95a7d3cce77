using ControlPlane.Components.Layout;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Keys;
using ControlPlane.Features.People;
using ControlPlane.Features.Wallets;

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

    [Theory]
    [InlineData(0, "success")]
    [InlineData(79.9, "success")]
    [InlineData(80, "warning")]
    [InlineData(100, "danger")]
    [InlineData(130, "danger")]
    public async Task A_utilisation_bar_takes_its_colour_from_the_thresholds(decimal spent, string style)
    {
        var row = new WalletRow(Guid.NewGuid(), "Team Sales", WalletOwners.Team, Guid.NewGuid(), null, 0, "Team Sales", 100m, 0m, WalletPeriods.Monthly,
            DateTime.UtcNow, null, spent, 0m, [80, 90, 95], ExhaustionPolicies.Block, null, null, []);

        var html = await StaticRenderer.RenderAsync<UtilisationBar>(parameters: new() { [nameof(UtilisationBar.Row)] = row });

        Assert.Contains($"rz-progressbar-{style}", html, StringComparison.Ordinal);
        Assert.Contains($">{spent.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} %<", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wallet_without_a_limit_shows_no_bar()
    {
        var row = new WalletRow(Guid.NewGuid(), "Acme", WalletOwners.Organization, Guid.NewGuid(), null, 0, "Acme", null, 0m, WalletPeriods.None,
            DateTime.UtcNow, null, 12m, 0m, [80], ExhaustionPolicies.Block, null, null, []);

        var html = await StaticRenderer.RenderAsync<UtilisationBar>(parameters: new() { [nameof(UtilisationBar.Row)] = row });

        Assert.DoesNotContain("rz-progressbar", html, StringComparison.Ordinal);
        Assert.Contains(">no limit<", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_nav_lists_nothing_to_someone_not_signed_in()
    {
        var html = await StaticRenderer.RenderAsync<NavMenu>(role: null);

        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Gateway", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ApiKeyStatus.Active, "rz-badge-success")]
    [InlineData(ApiKeyStatus.Expired, "rz-badge-warning")]
    [InlineData(ApiKeyStatus.Revoked, "rz-badge-danger")]
    public async Task A_key_status_badge_says_the_status_in_its_colour(ApiKeyStatus status, string cssClass)
    {
        var html = await StaticRenderer.RenderAsync<KeyStatusBadge>(parameters: new() { [nameof(KeyStatusBadge.Status)] = status });

        Assert.Contains(cssClass, html, StringComparison.Ordinal);
        Assert.Contains($">{status}<", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_shown_once_panel_holds_the_key_and_says_it_will_not_be_shown_again()
    {
        var html = await StaticRenderer.RenderAsync<ShownOnceKey>(parameters: new()
        {
            [nameof(ShownOnceKey.Name)] = "checkout",
            [nameof(ShownOnceKey.Plaintext)] = "cp-live-0123456789abcdefghijklmnopqrstuvwxyzABCD",
        });

        Assert.Contains("cp-live-0123456789abcdefghijklmnopqrstuvwxyzABCD", html, StringComparison.Ordinal);
        Assert.Contains("shown only this once", html, StringComparison.Ordinal);
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
