using ControlPlane.Infrastructure.Auth;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Authorization;

namespace ControlPlane.Infrastructure.Jobs;

/// <summary>
/// Hangfire's own check on every dashboard request (its default admits local requests only): the signed-in person must
/// pass <see cref="Policies.JobsView"/>. The endpoint's policy already refused everyone else; this is the second lock,
/// so the dashboard stays closed even if it is ever mounted without one.
/// </summary>
internal sealed class JobsDashboardAuthorization : IDashboardAsyncAuthorizationFilter
{
    public async Task<bool> AuthorizeAsync(DashboardContext context)
    {
        var http = context.GetHttpContext();
        if (http.User.Identity?.IsAuthenticated != true) return false;
        var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
        return (await authorization.AuthorizeAsync(http.User, Policies.JobsView)).Succeeded;
    }

    /// <summary>Auditors look, they never trigger, delete or requeue: only <see cref="Policies.JobsManage"/> may act.</summary>
    public static bool IsReadOnly(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return !Policies.Grants[Policies.JobsManage].Any(user.IsInRole);
    }
}
