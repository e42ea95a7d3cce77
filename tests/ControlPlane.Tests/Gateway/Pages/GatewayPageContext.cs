using Bunit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Components;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Gateway.Pages;

/// <summary>
/// The gateway pages' bUnit context: the dashboard's, plus the dialog provider rendered (dialogs show up in it) and
/// snackbars that stay until read, so a test never races their timer.
/// </summary>
public abstract class GatewayPageContext : DashboardContext, IAsyncLifetime
{
    protected GatewayPageContext(DashboardApp app) : base(app)
    {
        // bUnit registers a placeholder IAuthorizationService that AddAuthorizationCore's TryAdd leaves in place;
        // the pages ask the real one (with the app's policies) which actions to show.
        Services.AddTransient<IAuthorizationService, DefaultAuthorizationService>();
        // An upper bound for the machine under load (other builds share its two cores), not a timing the tests rely on.
        DefaultWaitTimeout = TimeSpan.FromSeconds(15);
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

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    // MudBlazor's popover services are only IAsyncDisposable: xUnit must dispose the context asynchronously
    // (its later synchronous Dispose then finds nothing left to do).
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    protected AngleSharp.Dom.IElement DialogButton(string text) =>
        Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == text);
}
