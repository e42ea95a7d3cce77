using ControlPlane.Features.Gateway;
using ControlPlane.Features.People;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Transfers;

/// <summary>The 402's request_transfer link: pre-filled for a wallet the key's holder may see, absolute on a known public URL.</summary>
public sealed class TransferLinkTests
{
    private static DefaultHttpContext Context(string? publicUrl)
    {
        var services = new ServiceCollection();
        services.AddOptions<SignInLinkOptions>().Configure(o => o.PublicUrl = publicUrl);
        return new DefaultHttpContext { RequestServices = services.BuildServiceProvider() };
    }

    private static readonly Guid Wallet = Guid.Parse("0193a1b2-0000-7000-8000-000000000001");

    [Fact]
    public void A_shown_wallet_links_to_a_request_pre_filled_with_its_id_and_the_suggested_amount()
    {
        var refusal = new HoldRefusal("Team A", 10m, 10m, 0m, null, "no", WalletId: Wallet) { SuggestedTransfer = 2m };

        Assert.Equal($"/transfers/new?wallet={Wallet}&amount=2", GatewayErrors.TransferLink(Context(null), refusal));
        Assert.Equal($"https://cp.example.com/transfers/new?wallet={Wallet}&amount=2", GatewayErrors.TransferLink(Context("https://cp.example.com/"), refusal));
    }

    [Fact]
    public void A_hidden_wallet_links_to_an_empty_request()
    {
        var refusal = new HoldRefusal("Team Parent", 0, 0, 0, null, "no", WalletId: Wallet) { Shown = false, SuggestedTransfer = 5m };

        Assert.Equal("/transfers/new", GatewayErrors.TransferLink(Context(null), refusal));
        Assert.Equal("https://cp.example.com/transfers/new", GatewayErrors.TransferLink(Context("https://cp.example.com"), refusal));
    }
}
