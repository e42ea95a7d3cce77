using ControlPlane.Components.Layout;
using ControlPlane.Features.Keys;
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

    [Fact]
    public async Task The_nav_lists_nothing_to_someone_not_signed_in()
    {
        var html = await StaticRenderer.RenderAsync<NavMenu>(role: null);

        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
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
}
