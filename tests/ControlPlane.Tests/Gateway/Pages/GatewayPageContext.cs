using Bunit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Gateway.Pages;

/// <summary>
/// The gateway pages' bUnit context: the dashboard's, plus the dialog provider rendered (dialogs show up in it) and
/// snackbars that stay until read, so a test never races their timer.
/// </summary>
public abstract class GatewayPageContext : DashboardContext
{
    protected GatewayPageContext(DashboardApp app) : base(app)
    {
        Dialogs = Render<MudDialogProvider>();
        Snackbar = Services.GetRequiredService<ISnackbar>();
        Snackbar.Configuration.RequireInteraction = true;
    }

    protected IRenderedComponent<MudDialogProvider> Dialogs { get; }

    protected ISnackbar Snackbar { get; }

    protected static Actor TestAdmin { get; } = new(null, "test:gateway-pages", Roles.Admin);

    /// <summary>Adds a provider through the service, as the page would (key encrypted, catalogue reloaded).</summary>
    protected Task<Provider> AddProviderAsync(string name, string baseUrl, string? apiKey = null) =>
        App.App.WithScopeAsync(async services =>
        {
            var form = new ProviderForm { Name = name, BaseUrl = baseUrl, ApiKey = apiKey, FirstByteTimeoutSeconds = 20 };
            var saved = await services.GetRequiredService<ProviderService>().SaveAsync(TestAdmin, null, form);
            Assert.True(saved.Succeeded, saved.Error);
            return saved.Value!;
        });

    protected AngleSharp.Dom.IElement DialogButton(string text) =>
        Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == text);
}
