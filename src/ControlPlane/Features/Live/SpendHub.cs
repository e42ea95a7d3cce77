using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ControlPlane.Features.Live;

/// <summary>
/// <c>/hubs/spend</c>: spend ticks for clients outside the app (the dashboard's own components use the in-process
/// event bus). Signed-in people only (the dashboard's cookie session; anyone else gets 401 at negotiation), each
/// receiving the ticks they may see on the pages. The contract, server to client only:
/// <list type="bullet">
/// <item><c>scope</c> (<see cref="SpendScope"/>), once, after the connection joined its groups: from then on every tick in scope arrives;</item>
/// <item><c>tick</c> (<see cref="Infrastructure.Live.SpendTick"/>), per settled call, from any node of the cluster.</item>
/// </list>
/// The scope is fixed when the connection opens (a key or team added later needs a reconnect); the connection
/// closes when the session it was opened with expires.
/// </summary>
[Authorize(Policy = Policies.SignedIn)]
public sealed class SpendHub(SpendAudience audience) : Hub
{
    public const string Path = "/hubs/spend";
    public const string ScopeMethod = "scope";
    public const string TickMethod = "tick";

    public override async Task OnConnectedAsync()
    {
        var scope = await audience.ScopeOfAsync(Actor.From(Context.User!), Context.ConnectionAborted);
        foreach (var group in SpendAudience.GroupsOf(scope))
            await Groups.AddToGroupAsync(Context.ConnectionId, group, Context.ConnectionAborted);
        await Clients.Caller.SendAsync(ScopeMethod, scope, Context.ConnectionAborted);
        await base.OnConnectedAsync();
    }
}
