using System.Security.Claims;
using AngleSharp.Dom;
using Bunit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Tests.Components;

/// <summary>
/// A bUnit context for the dashboard's components: MudBlazor's services, the app's real authorization policies and
/// a signed-in demo person, with every other service taken from the real app (<see cref="DashboardApp"/>).
/// </summary>
public abstract class DashboardContext : MudContext
{
    private readonly AsyncServiceScope _appScope;

    protected DashboardContext(DashboardApp app)
    {
        App = app;
        _appScope = app.App.Services.CreateAsyncScope();
        Services.AddAuthorizationCore(Policies.AddTo);
        // bUnit pre-registers a placeholder that throws on use; AuthorizeView must evaluate the app's real policies.
        Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>();
        Services.AddCascadingAuthenticationState();
        Services.AddSingleton<SignedInPerson>();
        Services.AddSingleton<AuthenticationStateProvider>(sp => sp.GetRequiredService<SignedInPerson>());
        Services.AddFallbackServiceProvider(_appScope.ServiceProvider);
    }

    protected DashboardApp App { get; }

    /// <summary>A page with MudBlazor's popover and dialog providers beside it, as the layout has them.</summary>
    protected (IRenderedComponent<MudDialogProvider> Dialogs, IRenderedComponent<TPage> Page) RenderWithDialogs<TPage>() where TPage : IComponent
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        return (dialogs, Render<TPage>());
    }

    /// <summary>The input of a MudBlazor field, which carries the field's data-testid itself or inside.</summary>
    protected static IElement InputOf<T>(IRenderedComponent<T> root, string testId) where T : IComponent
    {
        root.WaitForAssertion(() => Assert.NotEmpty(root.FindAll($"[data-testid={testId}]")));
        var marked = root.Find($"[data-testid={testId}]");
        return marked.LocalName == "input" ? marked : marked.QuerySelector("input")!;
    }

    /// <summary>The whole field around that input: its label, helper and validation message.</summary>
    protected static IElement FieldOf<T>(IRenderedComponent<T> root, string testId) where T : IComponent =>
        InputOf(root, testId).Closest(".mud-input-control")!;

    /// <summary>The snackbars shown so far, oldest first.</summary>
    protected IReadOnlyList<Snackbar> Snackbars => [.. Services.GetRequiredService<ISnackbar>().ShownSnackbars];

    /// <summary>Signs in as the demo person with this e-mail (their organisation role comes from the database).</summary>
    protected async Task<User> SignInAsAsync(string email)
    {
        var person = await App.PersonAsync(email);
        Services.GetRequiredService<SignedInPerson>().Set(new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, person.Id.ToString()),
            new Claim(ClaimTypes.Name, person.DisplayName),
            new Claim(ClaimTypes.Email, person.Email),
            new Claim(ClaimTypes.Role, person.Role),
        ], "test")));
        return person;
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _appScope.DisposeAsync();
    }

    /// <summary>Nobody until a test signs someone in.</summary>
    private sealed class SignedInPerson : AuthenticationStateProvider
    {
        private ClaimsPrincipal _principal = new(new ClaimsIdentity());

        public void Set(ClaimsPrincipal principal)
        {
            _principal = principal;
            NotifyAuthenticationStateChanged(GetAuthenticationStateAsync());
        }

        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(_principal));
    }
}
