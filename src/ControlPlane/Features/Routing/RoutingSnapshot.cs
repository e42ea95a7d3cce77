using System.Collections.Frozen;
using ControlPlane.Features.Teams;

namespace ControlPlane.Features.Routing;

/// <summary>A region lock as it applies to a call: the region, and whose lock it is (for the refusal and the reason).</summary>
public sealed record ResidencyLock(string Region, string Owner);

/// <summary>
/// Everything routing decides with, immutable and swapped whole (<see cref="RoutingTable"/>): the enabled rules in
/// order, each team's effective region lock (its own, else its nearest ancestor's, else the organisation's), the
/// providers' p95 latency per model from the call statistics, and the organisation's time zone.
/// </summary>
public sealed class RoutingSnapshot
{
    public RoutingSnapshot(IReadOnlyList<CompiledRule> rules, IReadOnlyDictionary<Guid, ResidencyLock> teamLocks, ResidencyLock? organisationLock,
        IReadOnlyDictionary<(string Provider, string Model), double> latencyP95, TimeZoneInfo zone)
    {
        Rules = rules;
        TeamLocks = teamLocks.ToFrozenDictionary();
        OrganisationLock = organisationLock;
        LatencyP95 = latencyP95.ToFrozenDictionary();
        Zone = zone;
        UsesTags = rules.Any(r => r.UsesTags);
        Inert = rules.Count == 0 && organisationLock is null && teamLocks.Count == 0;
    }

    public static RoutingSnapshot Empty { get; } = new([], new Dictionary<Guid, ResidencyLock>(), null, new Dictionary<(string, string), double>(), TimeZoneInfo.Utc);

    public IReadOnlyList<CompiledRule> Rules { get; }
    public FrozenDictionary<Guid, ResidencyLock> TeamLocks { get; }
    public ResidencyLock? OrganisationLock { get; }
    public FrozenDictionary<(string Provider, string Model), double> LatencyP95 { get; }
    public TimeZoneInfo Zone { get; }
    /// <summary>Some rule looks at tags: only then is a request's body read for <c>metadata.tags</c>.</summary>
    public bool UsesTags { get; }
    /// <summary>No rule and no region lock: calls route exactly as the alias says, with nothing more computed.</summary>
    public bool Inert { get; }

    public ResidencyLock? LockFor(Guid? teamId) =>
        teamId is { } id && TeamLocks.TryGetValue(id, out var own) ? own : OrganisationLock;

    public double? P95Of(string provider, string model) => LatencyP95.TryGetValue((provider, model), out var ms) ? ms : null;

    /// <summary>Compiles stored rules and locks; a rule whose JSON no longer reads stays in the numbering but never matches.</summary>
    public static RoutingSnapshot Compile(IReadOnlyList<RoutingRule> rules, IReadOnlyList<Team> teams, IReadOnlyList<RegionLock> locks,
        IReadOnlyDictionary<(string, string), double> latencyP95, TimeZoneInfo zone)
    {
        var names = teams.ToDictionary(t => t.Id, t => t.Name);
        var compiled = new List<CompiledRule>();
        var ordered = rules.OrderBy(r => r.Priority).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var rule = ordered[i];
            if (!rule.Enabled) continue;
            var readable = RuleJson.TryRead<RuleConditions>(rule.Conditions, out var conditions) & RuleJson.TryRead<RuleAction>(rule.Action, out var action);
            var teamSet = conditions.Teams.Count == 0 ? new HashSet<Guid>() : TeamTree.WithDescendants(teams, conditions.Teams);
            compiled.Add(new CompiledRule(i + 1, rule, conditions, action, teamSet, RuleText.Summary(conditions, names), readable));
        }

        var organisation = locks.FirstOrDefault(l => l.TeamId is null) is { } org ? new ResidencyLock(org.Region, "the organisation") : null;
        var own = locks.Where(l => l.TeamId is not null).GroupBy(l => l.TeamId!.Value).ToDictionary(g => g.Key, g => g.First().Region);
        var parents = teams.ToDictionary(t => t.Id, t => t.ParentTeamId);
        var effective = new Dictionary<Guid, ResidencyLock>();
        foreach (var team in teams)
        {
            // The nearest team up the tree with a lock of its own (a cycle guard: a tree is never deeper than the team count).
            Guid? at = team.Id;
            for (var depth = 0; at is { } current && depth <= teams.Count; depth++)
            {
                if (own.TryGetValue(current, out var region))
                {
                    effective[team.Id] = new ResidencyLock(region, $"team '{names[current]}'");
                    break;
                }
                at = parents.GetValueOrDefault(current);
            }
        }
        return new RoutingSnapshot(compiled, effective, organisation, latencyP95, zone);
    }
}
