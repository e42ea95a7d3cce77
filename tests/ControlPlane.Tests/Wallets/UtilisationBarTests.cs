using Bunit;
using ControlPlane.Features.Wallets;
using MudBlazor;
using ControlPlane.Tests.Components;

namespace ControlPlane.Tests.Wallets;

/// <summary>The utilisation bar of a wallet row: MudBlazor's linear progress in the colour of the wallet's level.</summary>
public sealed class UtilisationBarTests : MudContext
{
    [Theory]
    [InlineData(0, Color.Success)]
    [InlineData(79.9, Color.Success)]
    [InlineData(80, Color.Warning)]
    [InlineData(100, Color.Error)]
    [InlineData(130, Color.Error)]
    public void A_utilisation_bar_takes_its_colour_from_the_thresholds(decimal spent, Color colour)
    {
        var bar = Render<UtilisationBar>(p => p.Add(b => b.Row, Row(limit: 100m, spent)));

        var progress = bar.FindComponent<MudProgressLinear>().Instance;
        Assert.Equal(colour, progress.Color);
        Assert.Equal($"{spent.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} %", bar.Find("[data-testid=utilisation-text]").TextContent.Trim());
    }

    [Fact]
    public void A_wallet_without_a_limit_shows_no_bar()
    {
        var bar = Render<UtilisationBar>(p => p.Add(b => b.Row, Row(limit: null, spent: 12m)));

        Assert.Empty(bar.FindComponents<MudProgressLinear>());
        Assert.Equal("no limit", bar.Find("[data-testid=utilisation]").TextContent.Trim());
    }

    private static WalletRow Row(decimal? limit, decimal spent) =>
        new(Guid.NewGuid(), "Team Sales", WalletOwners.Team, Guid.NewGuid(), null, 0, "Team Sales", limit, 0m, WalletPeriods.Monthly,
            DateTime.UtcNow, null, spent, 0m, [80, 90, 95], ExhaustionPolicies.Block, null, null, []);
}
