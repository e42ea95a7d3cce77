using System.Security.Claims;
using ControlPlane.Features.People;

namespace ControlPlane.Infrastructure.Auth;

/// <summary>Who is doing something: a signed-in person, or an operator at the command line.</summary>
public sealed record Actor(Guid? UserId, string Name, string Role)
{
    /// <summary>The command line runs on the server itself, so whoever runs it already owns the deployment.</summary>
    public static Actor CommandLine { get; } = new(null, $"cli:{Environment.UserName}", Roles.Owner);

    /// <summary>
    /// The teams an admin token is limited to (Features/AdminTokens), or null for a person and an unlimited token. A limited
    /// actor is never org-wide: it acts within those teams (and their subteams) as far as its role allows there
    /// (<see cref="Features.Teams.TeamDirectory"/> narrows the scopes), and org-wide changes need an unlimited actor.
    /// </summary>
    public IReadOnlyList<Guid>? TeamLimit { get; init; }

    public bool IsOrgWide => HasOrgWideRole && TeamLimit is null;
    public bool CanManageAllTeams => ManagesAllTeamsByRole && TeamLimit is null;

    /// <summary>The role alone is org-wide, whatever the team limit.</summary>
    public bool HasOrgWideRole => Role is Roles.Owner or Roles.Admin or Roles.FinanceAdmin or Roles.Auditor;
    /// <summary>The role alone manages every team, whatever the team limit.</summary>
    public bool ManagesAllTeamsByRole => Role is Roles.Owner or Roles.Admin;

    public static Actor From(ClaimsPrincipal principal)
    {
        var id = Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var g) ? g : (Guid?)null;
        var name = principal.FindFirstValue(ClaimTypes.Email) ?? principal.Identity?.Name ?? "unknown";
        var role = Roles.All.FirstOrDefault(principal.IsInRole) ?? "";
        var limit = principal.FindAll(Policies.TeamLimitClaim).Select(c => Guid.TryParse(c.Value, out var t) ? t : Guid.Empty).ToList();
        return new Actor(id, name, role) { TeamLimit = limit.Count > 0 ? limit : null };
    }
}
