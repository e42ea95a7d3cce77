using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth;

/// <summary>
/// An open dashboard circuit checks its session as requests do, every Auth:RevalidateSeconds: a person demoted or
/// signed out elsewhere loses the pages without reloading (Blazor then treats them as signed out).
/// </summary>
public sealed class RevalidatingSessionState(ILoggerFactory logs, SessionCheck sessions, IOptions<AuthOptions> options)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(Math.Max(1, options.Value.RevalidateSeconds));

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        sessions.IsCurrentAsync(authenticationState.User, cancellationToken);

    /// <summary>The same check, for tests and callers outside the revalidation loop.</summary>
    public Task<bool> IsCurrentAsync(AuthenticationState state, CancellationToken ct = default) => ValidateAuthenticationStateAsync(state, ct);
}
