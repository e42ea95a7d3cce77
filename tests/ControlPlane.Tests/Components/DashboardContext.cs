using System.Security.Claims;
using Bunit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace ControlPlane.Tests.Components;

/// <summary>
/// A bUnit context for the dashboard's components: MudBlazor's services, the app's real authorization policies and
/// a signed-in demo person, with every other service taken from the real app (<see cref="DashboardApp"/>).
/// MudBlazor's own script calls are answered loosely (bUnit has no browser); Playwright covers the real script.
/// </summary>
public abstract class DashboardContext : BunitContext, IAsyncLifetime
{
    private readonly AsyncServiceScope _appScope;

    protected DashboardContext(DashboardApp app)
    {
        App = app;
        _appScope = app.App.Services.CreateAsyncScope();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddAuthorizationCore(Policies.AddTo);
        // bUnit pre-registers a placeholder that throws on use; AuthorizeView must evaluate the app's real policies.
        Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>();
        Services.AddCascadingAuthenticationState();
        Services.AddSingleton<SignedInPerson>();
        Services.AddSingleton<AuthenticationStateProvider>(sp => sp.GetRequiredService<SignedInPerson>());
        Services.AddFallbackServiceProvider(_appScope.ServiceProvider);
    }

    protected DashboardApp App { get; }

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
        _disposedAsync = true;
    }

    // xUnit 2 disposes a test class with the synchronous Dispose, which MudBlazor's IAsyncDisposable-only services
    // (popover, pointer-events) refuse; as an IAsyncLifetime the class is disposed asynchronously first.
    private bool _disposedAsync;

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (!_disposedAsync) base.Dispose(disposing);
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
