using Bunit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Tests.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Gateway.Pages;

/// <summary>The connection test's result dialog and the row's test button, on their own.</summary>
public sealed class ConnectionCheckViewTests(DashboardApp app) : GatewayPageContext(app), IClassFixture<DashboardApp>
{
    [Fact]
    public async Task An_unreachable_provider_is_shown_as_such_with_its_message_and_no_models()
    {
        var check = new ConnectionCheck(false, null, 74, "Could not connect: Connection refused (127.0.0.1:9)", []);

        await ShowAsync("local", check);

        Dialogs.WaitForAssertion(() => Assert.Equal("not reachable", Dialogs.Find("[data-testid=connection-reachable]").TextContent.Trim()));
        Assert.Equal("no HTTP answer", Dialogs.Find("[data-testid=connection-status]").TextContent.Trim());
        Assert.Equal("74 ms", Dialogs.Find("[data-testid=connection-ms]").TextContent.Trim());
        Assert.Contains("Could not connect: Connection refused (127.0.0.1:9)", Dialogs.Find("[data-testid=connection-message]").TextContent, StringComparison.Ordinal);
        Assert.Empty(Dialogs.FindAll("[data-testid=connection-models]"));
    }

    [Fact]
    public async Task A_reachable_provider_lists_its_models_and_the_dialog_closes()
    {
        var check = new ConnectionCheck(true, 200, 131, "Connected in 131 ms; 2 model(s) listed.", ["gpt-4o", "gpt-4o-mini"]);

        await ShowAsync("openai", check);

        Dialogs.WaitForAssertion(() => Assert.Equal("reachable", Dialogs.Find("[data-testid=connection-reachable]").TextContent.Trim()));
        Assert.Equal("HTTP 200", Dialogs.Find("[data-testid=connection-status]").TextContent.Trim());
        Assert.Equal(["gpt-4o", "gpt-4o-mini"], Dialogs.FindAll("[data-testid=connection-models] .mud-chip").Select(c => c.TextContent.Trim()));
        Assert.Contains("2 model(s) openai lists", Dialogs.Markup, StringComparison.Ordinal);

        Dialogs.Find("[data-testid=connection-close]").Click();
        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=connection-result]")));
    }

    [Fact]
    public void A_test_in_progress_shows_a_spinner_on_its_row_and_disables_every_test_button()
    {
        var row = new ProviderRow(Guid.NewGuid(), "busy", ProviderKinds.OpenAI, "https://busy.example.com", null, null, true, false, 2, DateTime.UnixEpoch);
        var other = row with { Id = Guid.NewGuid(), Name = "other" };

        var busy = Render<ProviderActions>(p => p.Add(a => a.Provider, row).Add(a => a.Testing, row.Id));
        var waiting = Render<ProviderActions>(p => p.Add(a => a.Provider, other).Add(a => a.Testing, row.Id));

        Assert.NotNull(busy.Find("[data-testid=test-connection-progress]"));
        Assert.Contains("Testing…", busy.Find("[data-testid=test-connection]").TextContent, StringComparison.Ordinal);
        Assert.True(busy.Find("[data-testid=test-connection]").HasAttribute("disabled"));
        Assert.Empty(waiting.FindAll("[data-testid=test-connection-progress]"));
        Assert.True(waiting.Find("[data-testid=test-connection]").HasAttribute("disabled"));
    }

    private Task<IDialogReference> ShowAsync(string provider, ConnectionCheck check) =>
        Dialogs.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<ConnectionCheckView>("Test connection",
            new DialogParameters<ConnectionCheckView> { { v => v.Provider, provider }, { v => v.Check, check } }));
}
