using ControlPlane.Infrastructure.Auth;
using MudBlazor;

namespace ControlPlane.Components.Layout;

/// <summary>
/// One area of the dashboard in the nav: a page (with its path) or a group of pages. Its policy is the page's own, so
/// the link is shown exactly to the roles the page admits.
/// </summary>
/// <remarks><paramref name="ServerPage"/>: a page the server renders outside Blazor (Hangfire's dashboard), reached by a full load.</remarks>
public sealed record NavArea(string Text, string Icon, string Policy, string? Href = null, IReadOnlyList<NavArea>? Pages = null, bool ServerPage = false);

/// <summary>
/// The dashboard's structure, in one place: the nav menu is drawn from it and every page's breadcrumbs are derived
/// from it (a page under the Gateway group reads "Gateway / Providers"), so a new page is one line here.
/// </summary>
public static class NavTree
{
    public static IReadOnlyList<NavArea> Areas { get; } =
    [
        new("Overview", Icons.Material.Filled.Dashboard, Policies.SignedIn, "/"),
        new("Teams", Icons.Material.Filled.Groups, Policies.TeamsView, "/teams"),
        new("Keys", Icons.Material.Filled.Key, Policies.KeysView, "/keys"),
        new("Wallets", Icons.Material.Filled.AccountBalanceWallet, Policies.WalletsView, "/wallets"),
        new("Transfers", Icons.Material.Filled.SwapHoriz, Policies.TransfersView, "/transfers"),
        new("Prompts", Icons.Material.Filled.Notes, Policies.PromptsView, "/prompts"),
        // In this order: what happened, what callers can ask for, who serves it, what it costs.
        new("Gateway", Icons.Material.Filled.Hub, Policies.SignedIn, Pages:
        [
            new("Requests", Icons.Material.Filled.ReceiptLong, Policies.CallsView, "/calls"),
            new("Per-call stats", Icons.Material.Filled.Speed, Policies.CallsView, "/stats"),
            new("Models", Icons.Material.Filled.ModelTraining, Policies.ModelsView, "/models"),
            new("Routing", Icons.Material.Filled.AltRoute, Policies.RoutingView, "/routing"),
            new("Providers", Icons.Material.Filled.Cloud, Policies.ProvidersView, "/providers"),
            new("Prices", Icons.Material.Filled.Sell, Policies.PricesView, "/prices"),
            new("Experiments", Icons.Material.Filled.Science, Policies.ExperimentsView, "/experiments"),
        ]),
        new("Audit", Icons.Material.Filled.Policy, Policies.AuditView, "/audit"),
        new("People", Icons.Material.Filled.People, Policies.PeopleView, "/people"),
        new("Sign-in settings", Icons.Material.Filled.Fingerprint, Policies.SignInSettings, "/settings/sign-in"),
        new("API tokens", Icons.Material.Filled.VpnKey, Policies.ApiTokensManage, "/settings/api-tokens"),
        new("Notifications", Icons.Material.Filled.NotificationsActive, Policies.NotificationsManage, "/notifications"),
        new("My digest", Icons.Material.Filled.MarkEmailUnread, Policies.SignedIn, "/digests"),
        new("FinOps exports", Icons.Material.Filled.RequestQuote, Policies.FinOps, "/finops"),
        new("Reconciliation", Icons.Material.Filled.FactCheck, Policies.ReconciliationView, "/reconciliation"),
        new("Jobs", Icons.Material.Filled.Schedule, Policies.JobsView, "/jobs", ServerPage: true),
    ];

    /// <summary>
    /// The areas from the top down to the page at this path ("/providers/openai?x=1" → Gateway, Providers), or
    /// nothing for a path outside the nav (sign-in, errors). The deepest page whose path is a prefix wins.
    /// </summary>
    public static IReadOnlyList<NavArea> TrailTo(string path)
    {
        var clean = "/" + path.Split('?', '#')[0].Trim('/');
        List<NavArea>? best = null;
        Walk(Areas, []);
        return best ?? [];

        void Walk(IReadOnlyList<NavArea> areas, List<NavArea> above)
        {
            foreach (var area in areas)
            {
                List<NavArea> trail = [.. above, area];
                if (area.Href is { } href && Covers(href, clean) && (best is null || href.Length > best[^1].Href!.Length))
                    best = trail;
                if (area.Pages is { } pages)
                    Walk(pages, trail);
            }
        }
    }

    private static bool Covers(string href, string path) =>
        href == "/" ? path == "/" : path == href || path.StartsWith(href + "/", StringComparison.OrdinalIgnoreCase);
}
