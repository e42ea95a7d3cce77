using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Routing;

/// <summary>A rule as the Routing page lists it.</summary>
public sealed record RuleRow(Guid Id, int Number, string Name, bool Enabled, string Conditions, string Action, string? Warning, RuleForm Form);

/// <summary>A region lock as the Routing page lists it (team null: the organisation).</summary>
public sealed record RegionLockRow(Guid? TeamId, string Owner, string Region, DateTime UpdatedAt, string UpdatedBy);

/// <summary>
/// Routing rules and region locks. Owner and Admin change them, the Auditor reads; every change is audited in the same
/// transaction, live on this node at once and on the others through the cluster bus (<see cref="RoutingChanged"/>).
/// </summary>
public sealed class RoutingService(IDbContextFactory<ControlPlaneDb> dbFactory, RoutingTable table, GatewayCatalog catalog, AuditLog audit, TimeProvider clock, EventBus events)
{
    public static bool MayView(Actor actor) => actor.Role is Roles.Owner or Roles.Admin or Roles.Auditor;

    public async Task<Outcome<IReadOnlyList<RuleRow>>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayView(actor)) return Outcome.Fail<IReadOnlyList<RuleRow>>("Only an Owner, Admin or Auditor can see the routing rules.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rules = await db.RoutingRules.AsNoTracking().ToListAsync(ct);
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var ordered = rules.OrderBy(r => r.Priority).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
        var current = catalog.Current;
        return ordered.Select((r, i) =>
        {
            var readable = RuleJson.TryRead<RuleConditions>(r.Conditions, out var c) & RuleJson.TryRead<RuleAction>(r.Action, out var a);
            var missing = a.Targets.Select(t => t.Target).FirstOrDefault(t => TargetRefs.Resolve(current, t) is null);
            var warning = !readable ? "This rule's stored definition does not read; it never matches. Edit and save it again."
                : missing is not null ? $"'{missing}' is not in the catalogue (or has no enabled provider): the rule skips it." : null;
            return new RuleRow(r.Id, i + 1, r.Name, r.Enabled, RuleText.Summary(c, teams), RuleText.Action(a), warning, RuleForm.Of(r));
        }).ToList();
    }

    public async Task<Outcome<RoutingRule>> SaveAsync(Actor actor, Guid? id, RuleForm form, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<RoutingRule>("Only an Owner or Admin can change the routing rules.");
        if (form.Problem() is { } problem) return Outcome.Fail<RoutingRule>(problem);
        var conditions = form.Conditions();
        var action = form.Action();
        if (action.Targets.Select(t => t.Target).FirstOrDefault(t => TargetRefs.Resolve(catalog.Current, t) is null) is { } unknown)
            return Outcome.Fail<RoutingRule>($"'{unknown}' is neither a model alias nor a provider/model of the catalogue (Models page).");

        var name = form.Name.Trim();
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.RoutingRules.AnyAsync(r => r.Name == name && r.Id != id, ct)) return Outcome.Fail<RoutingRule>($"A rule named '{name}' exists already.");
        if (conditions.Teams.Count > 0 && await db.Teams.CountAsync(t => conditions.Teams.Contains(t.Id), ct) != conditions.Teams.Count)
            return Outcome.Fail<RoutingRule>("A chosen team no longer exists.");
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);

        var rule = id is { } existing ? await db.RoutingRules.FirstOrDefaultAsync(r => r.Id == existing, ct) : null;
        if (id is not null && rule is null) return Outcome.Fail<RoutingRule>("That rule no longer exists.");
        var before = rule is null ? null : Describe(rule, teams);
        if (rule is null)
        {
            var last = await db.RoutingRules.MaxAsync(r => (int?)r.Priority, ct) ?? 0;
            rule = new RoutingRule { Id = Guid.NewGuid(), Name = name, Priority = last + 10, Conditions = "", Action = "", CreatedAt = now, UpdatedBy = actor.Name };
            db.RoutingRules.Add(rule);
        }
        rule.Name = name;
        rule.Enabled = form.Enabled;
        rule.Conditions = RuleJson.Write(conditions);
        rule.Action = RuleJson.Write(action);
        rule.UpdatedAt = now;
        rule.UpdatedBy = actor.Name;
        var after = Describe(rule, teams);
        await audit.SaveAsync(db, actor.Name, before is null ? "routing.rule_created" : "routing.rule_updated", $"routing-rule:{name}",
            Clip(before is null ? after : $"{before} ⇒ {after}"), ct);
        await ChangedAsync(ct);
        return rule;
    }

    /// <summary>Moves a rule one place earlier (<paramref name="by"/> −1) or later (+1), swapping with its neighbour.</summary>
    public async Task<Outcome<bool>> MoveAsync(Actor actor, Guid id, int by, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<bool>("Only an Owner or Admin can reorder the routing rules.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rules = (await db.RoutingRules.ToListAsync(ct)).OrderBy(r => r.Priority).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
        var at = rules.FindIndex(r => r.Id == id);
        if (at < 0) return Outcome.Fail<bool>("That rule no longer exists.");
        var to = at + Math.Sign(by);
        if (by == 0 || to < 0 || to >= rules.Count) return Outcome.Fail<bool>("The rule is already at that end of the list.");
        (rules[at], rules[to]) = (rules[to], rules[at]);
        for (var i = 0; i < rules.Count; i++) rules[i].Priority = (i + 1) * 10; // renumbered: ties and gaps never decide the order
        await audit.SaveAsync(db, actor.Name, "routing.rule_moved", $"routing-rule:{rules[to].Name}", $"from position {at + 1} to {to + 1}", ct);
        await ChangedAsync(ct);
        return true;
    }

    public async Task<Outcome<bool>> SetEnabledAsync(Actor actor, Guid id, bool enabled, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<bool>("Only an Owner or Admin can switch routing rules on or off.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rule = await db.RoutingRules.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (rule is null) return Outcome.Fail<bool>("That rule no longer exists.");
        if (rule.Enabled == enabled) return true;
        rule.Enabled = enabled;
        rule.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        rule.UpdatedBy = actor.Name;
        await audit.SaveAsync(db, actor.Name, enabled ? "routing.rule_enabled" : "routing.rule_disabled", $"routing-rule:{rule.Name}", enabled ? "enabled" : "disabled", ct);
        await ChangedAsync(ct);
        return true;
    }

    public async Task<Outcome<bool>> DeleteAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<bool>("Only an Owner or Admin can delete routing rules.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rule = await db.RoutingRules.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (rule is null) return Outcome.Fail<bool>("That rule no longer exists.");
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        db.RoutingRules.Remove(rule);
        await audit.SaveAsync(db, actor.Name, "routing.rule_deleted", $"routing-rule:{rule.Name}", Clip(Describe(rule, teams)), ct);
        await ChangedAsync(ct);
        return true;
    }

    /// <summary>The teams (by path) and projects a rule's conditions and a lock can name.</summary>
    public async Task<(IReadOnlyList<(Guid Id, string Path)> Teams, IReadOnlyList<(Guid Id, string Name)> Projects)> ChoicesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().ToListAsync(ct);
        var tree = Teams.TeamTree.Build(teams, new Dictionary<Guid, int>());
        var names = teams.ToDictionary(t => t.Id, t => t.Name);
        var projects = await db.Projects.AsNoTracking().ToListAsync(ct);
        return ([.. tree.Select(n => (n.Team.Id, n.Path))],
            [.. projects.Select(p => (p.Id, $"{names.GetValueOrDefault(p.TeamId, "?")} / {p.Name}")).OrderBy(p => p.Item2, StringComparer.OrdinalIgnoreCase)]);
    }

    public async Task<Outcome<IReadOnlyList<RegionLockRow>>> ListLocksAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayView(actor)) return Outcome.Fail<IReadOnlyList<RegionLockRow>>("Only an Owner, Admin or Auditor can see the region locks.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var locks = await db.RegionLocks.AsNoTracking().ToListAsync(ct);
        return locks.Select(l => new RegionLockRow(l.TeamId, l.TeamId is { } t ? $"team '{teams.GetValueOrDefault(t, "?")}'" : "the organisation", l.Region, l.UpdatedAt, l.UpdatedBy))
            .OrderBy(l => l.TeamId is null ? 0 : 1).ThenBy(l => l.Owner, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>Locks the organisation (<paramref name="teamId"/> null) or a team and its subteams to a region; a blank region lifts the lock.</summary>
    public async Task<Outcome<bool>> SetRegionLockAsync(Actor actor, Guid? teamId, string? region, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<bool>("Only an Owner or Admin can lock calls to a region.");
        var wanted = string.IsNullOrWhiteSpace(region) ? null : region.Trim().ToLowerInvariant();
        if (new TargetForm { Region = wanted }.CapabilityProblem() is { } problem) return Outcome.Fail<bool>(problem);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        string owner = "the organisation";
        if (teamId is { } id)
        {
            var team = await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct);
            if (team is null) return Outcome.Fail<bool>("That team no longer exists.");
            owner = $"team '{team.Name}'";
        }
        var existing = await db.RegionLocks.Where(l => l.TeamId == teamId).ToListAsync(ct);
        var was = existing.FirstOrDefault()?.Region;
        if (was == wanted) return true;
        db.RegionLocks.RemoveRange(existing);
        if (wanted is not null)
            db.RegionLocks.Add(new RegionLock { Id = Guid.NewGuid(), TeamId = teamId, Region = wanted, UpdatedAt = clock.GetUtcNow().UtcDateTime, UpdatedBy = actor.Name });
        await audit.SaveAsync(db, actor.Name, wanted is null ? "routing.region_lock_cleared" : "routing.region_lock_set", $"region-lock:{owner}",
            $"{was ?? "none"} ⇒ {wanted ?? "none"}", ct);
        await ChangedAsync(ct);
        return true;
    }

    private async Task ChangedAsync(CancellationToken ct)
    {
        await table.ReloadAsync(ct);
        events.Publish(new RoutingChanged()); // the other nodes reload theirs
    }

    private static string Clip(string details) => details.Length <= 3900 ? details : details[..3900] + "…";

    private static string Describe(RoutingRule rule, IReadOnlyDictionary<Guid, string> teams)
    {
        RuleJson.TryRead<RuleConditions>(rule.Conditions, out var c);
        RuleJson.TryRead<RuleAction>(rule.Action, out var a);
        return $"{(rule.Enabled ? "" : "disabled, ")}when {RuleText.Summary(c, teams)}: {RuleText.Action(a)}";
    }
}
