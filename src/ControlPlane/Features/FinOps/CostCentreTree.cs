using System.Text.RegularExpressions;
using ControlPlane.Features.Teams;

namespace ControlPlane.Features.FinOps;

/// <summary>Where a team's cost centre comes from: the team itself, its wallet, or the team above it.</summary>
public sealed record EffectiveCostCentre(string Code, string From);

/// <summary>
/// The cost-centre rules: a code is 1–40 letters, digits and <c>. _ / -</c> (what ERPs take as a key), starting with a
/// letter or digit. A team's effective cost centre is its own, else its team wallet's, else its parent's (so a subteam
/// without one is charged where its parent is); a team with none up the tree is unassigned.
/// </summary>
public static partial class CostCentreTree
{
    public const int MaxLength = 40;
    public const string Unassigned = "(unassigned)";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex Code();

    /// <summary>Null when the code is fine (blank clears it); otherwise what is wrong, in words.</summary>
    public static string? Validate(string? code)
    {
        var clean = Normalise(code);
        if (clean is null) return null;
        if (clean.Length > MaxLength) return $"A cost centre has at most {MaxLength} characters.";
        return Code().IsMatch(clean) ? null
            : "A cost centre is letters, digits and . _ / - only, starting with a letter or digit (e.g. CC-4100).";
    }

    /// <summary>Trimmed, or null when blank.</summary>
    public static string? Normalise(string? code) => string.IsNullOrWhiteSpace(code) ? null : code.Trim();

    /// <summary>Every team's effective cost centre (teams without one anywhere up the tree are left out).</summary>
    public static IReadOnlyDictionary<Guid, EffectiveCostCentre> Resolve(IReadOnlyCollection<Team> teams, IReadOnlyDictionary<Guid, string> teamWalletCentres)
    {
        var byId = teams.ToDictionary(t => t.Id);
        var resolved = new Dictionary<Guid, EffectiveCostCentre?>();
        EffectiveCostCentre? Of(Team team, int depth)
        {
            if (resolved.TryGetValue(team.Id, out var known)) return known;
            EffectiveCostCentre? found =
                team.CostCentre is { Length: > 0 } own ? new(own, team.Name)
                : teamWalletCentres.TryGetValue(team.Id, out var wallet) ? new(wallet, $"{team.Name}'s wallet")
                // The depth bound only guards against a cycle the team directory never lets happen.
                : team.ParentTeamId is { } parent && depth < 64 && byId.TryGetValue(parent, out var up) ? Of(up, depth + 1)
                : null;
            resolved[team.Id] = found;
            return found;
        }
        foreach (var team in teams) Of(team, 0);
        return resolved.Where(r => r.Value is not null).ToDictionary(r => r.Key, r => r.Value!);
    }
}
