using Bunit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Tests.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Gateway.Pages;

/// <summary>What the provider pages tell an admin before and after: a key that a new address clears, a classified failure.</summary>
public sealed class ProviderNoticeTests(DashboardApp app) : GatewayPageContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task A_failed_connection_test_shows_its_classified_failure_as_a_badge()
    {
        var check = new ConnectionCheck(false, null, 3, "That address is not allowed: 169.254.169.254 is link-local.", [], ConnectionFailures.AddressNotAllowed);

        await Dialogs.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<ConnectionCheckView>("Test connection",
            new DialogParameters<ConnectionCheckView> { { v => v.Provider, "metadata" }, { v => v.Check, check } }));

        Dialogs.WaitForAssertion(() => Assert.Equal("address not allowed", Dialogs.Find("[data-testid=connection-failure]").TextContent.Trim()));
        Assert.Contains("link-local", Dialogs.Find("[data-testid=connection-message]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_where_the_key_goes_warns_that_it_must_be_typed_again_and_removing_it_is_offered()
    {
        await AddProviderAsync("ui-notice", "http://127.0.0.1:9", "sk-ui-notice-key-Nn77");
        await SignInAsAsync("adam.admin@acme.test");
        var page = Render<ProvidersPage>();
        page.WaitForAssertion(() => Assert.Contains(page.FindAll("tr"), r => r.TextContent.Contains("ui-notice", StringComparison.Ordinal)));
        page.FindAll("tr").First(r => r.TextContent.Contains("ui-notice", StringComparison.Ordinal)).QuerySelector("[data-testid=edit-provider]")!.Click();
        Dialogs.WaitForElement("input[data-testid=provider-url]");
        Assert.Empty(Dialogs.FindAll("[data-testid=provider-key-cleared]"));
        Assert.NotEmpty(Dialogs.FindAll("[data-testid=provider-clear-key]"));

        Dialogs.Find("input[data-testid=provider-url]").Input("http://127.0.0.1:10/v1");

        Dialogs.WaitForAssertion(() => Assert.Contains("port 9 → 10", Dialogs.Find("[data-testid=provider-key-cleared]").TextContent, StringComparison.Ordinal));
        Assert.Contains("…Nn77", Dialogs.Find("[data-testid=provider-key-cleared]").TextContent, StringComparison.Ordinal);
        Dialogs.Find("input[data-testid=provider-key]").Change("sk-new-key-for-port-10");
        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=provider-key-cleared]")));
    }
}
