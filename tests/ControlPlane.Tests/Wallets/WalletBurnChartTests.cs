using Bunit;
using ControlPlane.Components.Charts;
using ControlPlane.Features.Wallets;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Wallets;

/// <summary>The wallet card's burn chart over the demo data: the wallet's cumulative spend up to now, against its limit.</summary>
public sealed class WalletBurnChartTests(DashboardApp app) : DashboardContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task A_wallet_card_shows_its_spend_rising_to_what_it_spent_under_its_limit()
    {
        await SignInAsAsync("fiona.finance@acme.test");
        var overview = await App.App.WithScopeAsync(sp => sp.GetRequiredService<WalletQueries>().OverviewAsync(new Actor(null, "test", Roles.FinanceAdmin)));
        var search = Assert.Single(overview.Wallets, w => w.Name == "Team Search");

        var card = Render<WalletBurnChart>(p => p.Add(c => c.Wallet, search));

        ChartSeries spent = default!;
        card.WaitForAssertion(() => spent = Assert.Single(card.FindComponent<ApexChart>().Instance.Series));
        var chart = card.FindComponent<ApexChart>().Instance;
        Assert.Equal("Spent", spent.Name);
        Assert.Equal(search.Spent, spent.Points[^1].Value);
        Assert.Equal(search.PeriodStart, spent.Points[0].At);
        Assert.Equal(search.Limit, chart.Limit);
        Assert.Equal(ChartKind.Area, chart.Kind);
        Assert.NotNull(card.Find("[data-testid=wallet-burn-chart]"));
    }
}
