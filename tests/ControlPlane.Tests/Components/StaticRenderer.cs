using System.Security.Claims;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.JSInterop;
using Radzen;

namespace ControlPlane.Tests.Components;

/// <summary>Renders a component to HTML with HtmlRenderer, as someone in the given role (or nobody).</summary>
public static class StaticRenderer
{
    public static async Task<string> RenderAsync<TComponent>(string? role = null, Dictionary<string, object?>? parameters = null) where TComponent : IComponent
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthorizationCore(Policies.AddTo);
        services.AddCascadingAuthenticationState();
        services.AddSingleton<AuthenticationStateProvider>(new FixedAuthenticationState(role));
        services.AddSingleton<NavigationManager, StaticNavigationManager>();
        services.AddSingleton<IJSRuntime, NoJavaScript>();
        services.AddRadzenComponents();

        await using var provider = services.BuildServiceProvider();
        await using var renderer = new HtmlRenderer(provider, provider.GetRequiredService<ILoggerFactory>());
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<CascadingAuthenticationState>(ParameterView.FromDictionary(new Dictionary<string, object?>
            {
                [nameof(CascadingAuthenticationState.ChildContent)] = (RenderFragment)(b =>
                {
                    b.OpenComponent<TComponent>(0);
                    foreach (var (name, value) in parameters ?? []) b.AddComponentParameter(1, name, value);
                    b.CloseComponent();
                }),
            }));
            return output.ToHtmlString();
        });
    }

    private sealed class FixedAuthenticationState(string? role) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(
            role is null ? new ClaimsPrincipal(new ClaimsIdentity())
            : new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, role), new Claim(ClaimTypes.Role, role)], "test"))));
    }

    private sealed class StaticNavigationManager : NavigationManager
    {
        public StaticNavigationManager() => Initialize("http://127.0.0.1/", "http://127.0.0.1/");
    }

    /// <summary>Static rendering runs no script; a component that calls one during render is a bug these tests should see.</summary>
    private sealed class NoJavaScript : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => throw new InvalidOperationException($"JS call {identifier} during static render");
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => InvokeAsync<TValue>(identifier, args);
    }
}
