using Bunit;
using ControlPlane.Features.Keys;
using MudBlazor;
using ControlPlane.Tests.Components;

namespace ControlPlane.Tests.Keys;

public sealed class KeyStatusBadgeTests : MudContext
{
    [Theory]
    [InlineData(ApiKeyStatus.Active, Color.Success)]
    [InlineData(ApiKeyStatus.Expired, Color.Warning)]
    [InlineData(ApiKeyStatus.Revoked, Color.Error)]
    public void A_key_status_badge_says_the_status_in_its_colour(ApiKeyStatus status, Color colour)
    {
        var badge = Render<KeyStatusBadge>(p => p.Add(b => b.Status, status));

        Assert.Equal(colour, badge.FindComponent<MudChip<string>>().Instance.Color);
        Assert.Equal(status.ToString(), badge.Find("[data-testid=key-status]").TextContent.Trim());
    }
}
