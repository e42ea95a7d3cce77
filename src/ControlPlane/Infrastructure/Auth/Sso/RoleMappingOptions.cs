using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth.Sso;

/// <summary>
/// <c>Auth:RoleMappings</c>: which identity-provider group gives which role. A rule names the group and either an
/// organisation role, a team with the role in it, or both. Rules with a <see cref="RoleMapping.Provider"/> apply to
/// that provider only (group names are not unique across providers).
/// </summary>
public sealed class RoleMappingOptions
{
    public const string Section = "Auth:RoleMappings";

    public List<RoleMapping> Rules { get; set; } = [];

    /// <summary>Every broken rule, each with the setting's path, so the app refuses to start on a typo.</summary>
    public IEnumerable<string> Problems()
    {
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            var at = $"{Section}:Rules:{i}";
            if (string.IsNullOrWhiteSpace(rule.Group)) yield return $"{at}:Group is empty.";
            if (rule.Role is null && rule.Team is null) yield return $"{at} names neither a Role nor a Team.";
            if (rule.Role is not null && !Roles.IsKnown(rule.Role))
                yield return $"{at}:Role '{rule.Role}' is not one of {string.Join(", ", Roles.All)}.";
            if (rule.Team is not null && !TeamRoles.All.Contains(rule.TeamRole, StringComparer.Ordinal))
                yield return $"{at}:TeamRole '{rule.TeamRole}' is not one of {string.Join(", ", TeamRoles.All)}.";
        }
    }
}

/// <summary>One rule: members of <see cref="Group"/> get <see cref="Role"/> and/or a place in <see cref="Team"/>.</summary>
public sealed class RoleMapping
{
    /// <summary>The group (or app role) as the provider sends it; compared case-insensitively.</summary>
    public string Group { get; set; } = "";

    /// <summary>The organisation role this group gives (one of <see cref="Roles"/>), if any.</summary>
    public string? Role { get; set; }

    /// <summary>A team (by name) this group makes the person a member of, if any.</summary>
    public string? Team { get; set; }

    /// <summary>Their place in that team: Lead or Member.</summary>
    public string TeamRole { get; set; } = TeamRoles.Member;

    /// <summary>Only for this provider's sign-ins; null for every provider.</summary>
    public string? Provider { get; set; }
}

/// <summary>Refuses to start on a broken mapping rule, naming the setting.</summary>
internal sealed class RoleMappingValidation : IValidateOptions<RoleMappingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoleMappingOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
