using System.Security.Claims;
using ControlPlane.Features.People;

namespace ControlPlane.Infrastructure.Auth;

/// <summary>Who is doing something: a signed-in person, or an operator at the command line.</summary>
public sealed record Actor(Guid? UserId, string Name, string Role)
{
    /// <summary>The command line runs on the server itself, so whoever runs it already owns the deployment.</summary>
    public static Actor CommandLine { get; } = new(null, $"cli:{Environment.UserName}", Roles.Owner);

    public bool IsOrgWide => Role is Roles.Owner or Roles.Admin or Roles.FinanceAdmin or Roles.Auditor;
    public bool CanManageAllTeams => Role is Roles.Owner or Roles.Admin;

    public static Actor From(ClaimsPrincipal principal)
    {
        var id = Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var g) ? g : (Guid?)null;
        var name = principal.FindFirstValue(ClaimTypes.Email) ?? principal.Identity?.Name ?? "unknown";
        var role = Roles.All.FirstOrDefault(principal.IsInRole) ?? "";
        return new Actor(id, name, role);
    }
}
