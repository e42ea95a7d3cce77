using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth.Sso;

/// <summary>What a person may do here, decided by their groups. No role means no access.</summary>
/// <param name="Role">The strongest organisation role any matching rule gives, or null when none matched.</param>
/// <param name="Teams">Team name → Lead or Member (Lead wins when several rules name the same team).</param>
/// <param name="Reasons">Which group gave what, for the preview and the audit entry.</param>
public sealed record MappedAccess(string? Role, IReadOnlyDictionary<string, string> Teams, IReadOnlyList<string> Reasons)
{
    public bool HasAccess => Role is not null;
}

/// <summary>Applies <see cref="RoleMappingOptions"/> to a set of groups. Pure: sign-in, SCIM and the preview share it.</summary>
public sealed class GroupRoleMapper(IOptionsMonitor<RoleMappingOptions> options)
{
    // Strongest first: a person in both "admins" and "finance" is an Admin.
    private static readonly string[] Strength = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.Auditor, Roles.TeamLead, Roles.Member];

    public MappedAccess Map(string provider, IEnumerable<string> groups)
    {
        var held = new HashSet<string>(groups, StringComparer.OrdinalIgnoreCase);
        string? role = null;
        var teams = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var reasons = new List<string>();
        foreach (var rule in options.CurrentValue.Rules)
        {
            if (!held.Contains(rule.Group)) continue;
            if (rule.Provider is not null && !string.Equals(rule.Provider, provider, StringComparison.OrdinalIgnoreCase)) continue;
            if (rule.Role is not null)
            {
                if (role is null || Array.IndexOf(Strength, rule.Role) < Array.IndexOf(Strength, role)) role = rule.Role;
                reasons.Add($"group '{rule.Group}' → {rule.Role}");
            }
            if (rule.Team is not null)
            {
                if (!teams.TryGetValue(rule.Team, out var existing) || existing != TeamRoles.Lead) teams[rule.Team] = rule.TeamRole;
                reasons.Add($"group '{rule.Group}' → {rule.TeamRole} of team '{rule.Team}'");
            }
        }
        // A team place alone still lets someone in: as a Lead of it, or as a Member.
        if (role is null && teams.Count > 0)
            role = teams.ContainsValue(TeamRoles.Lead) ? Roles.TeamLead : Roles.Member;
        return new MappedAccess(role, teams, reasons);
    }
}
