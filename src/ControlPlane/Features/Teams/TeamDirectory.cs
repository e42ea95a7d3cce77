using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Teams;

public sealed record TeamMemberRow(Guid UserId, string DisplayName, string Email, string Role);

/// <summary>Teams and their members: who may see and change which team, and every change audited.</summary>
public sealed class TeamDirectory(IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog audit, TimeProvider clock, EventBus events)
{
    public const int MaxNameLength = 100;

    /// <summary>Teams the actor may see: org-wide roles see all; others see their teams and subteams.</summary>
    public async Task<TeamScope> VisibleToAsync(Actor actor, CancellationToken ct = default) =>
        await WithinLimitAsync(actor, actor.HasOrgWideRole ? TeamScope.Everything : await MembershipScopeAsync(actor, leadOnly: false, ct), ct);

    /// <summary>Teams whose keys the actor may manage: Owner and Admin all; a team lead the teams they lead.</summary>
    public async Task<TeamScope> ManagedByAsync(Actor actor, CancellationToken ct = default) =>
        await WithinLimitAsync(actor, actor.ManagesAllTeamsByRole ? TeamScope.Everything
            : actor.Role == Roles.TeamLead ? await MembershipScopeAsync(actor, leadOnly: true, ct)
            : TeamScope.Of([]), ct);

    /// <summary>An admin token limited to some teams reaches only those and their subteams (<see cref="Actor.TeamLimit"/>).</summary>
    private async Task<TeamScope> WithinLimitAsync(Actor actor, TeamScope scope, CancellationToken ct)
    {
        if (actor.TeamLimit is not { } limit) return scope;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.Teams.AsNoTracking().ToListAsync(ct);
        return TeamScope.Of(TeamTree.WithDescendants(all, limit).Where(scope.Includes));
    }

    private async Task<TeamScope> MembershipScopeAsync(Actor actor, bool leadOnly, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mine = await db.TeamMemberships.AsNoTracking()
            .Where(m => m.UserId == actor.UserId && (!leadOnly || m.Role == TeamRoles.Lead))
            .Select(m => m.TeamId).ToListAsync(ct);
        var all = await db.Teams.AsNoTracking().ToListAsync(ct);
        return TeamScope.Of(TeamTree.WithDescendants(all, mine));
    }

    public async Task<IReadOnlyList<TeamNode>> ListAsync(TeamScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = (await db.Teams.AsNoTracking().ToListAsync(ct)).Where(t => scope.Includes(t.Id)).ToList();
        var counts = await db.TeamMemberships.AsNoTracking().GroupBy(m => m.TeamId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return TeamTree.Build(teams, counts);
    }

    public async Task<Team?> FindByNameAsync(string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.Name == name, ct);
    }

    public async Task<IReadOnlyList<TeamMemberRow>> MembersAsync(Guid teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (from m in db.TeamMemberships.AsNoTracking()
                          join u in db.Users.AsNoTracking() on m.UserId equals u.Id
                          where m.TeamId == teamId
                          select new TeamMemberRow(u.Id, u.DisplayName, u.Email, m.Role)).ToListAsync(ct);
        return [.. rows.OrderBy(r => r.Role == TeamRoles.Lead ? 0 : 1).ThenBy(r => r.DisplayName, StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<Outcome<Team>> CreateAsync(Actor actor, string name, Guid? parentTeamId, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<Team>("Only an Owner or Admin can create teams.");
        name = (name ?? "").Trim();
        if (name.Length == 0) return Outcome.Fail<Team>("A team needs a name.");
        if (name.Length > MaxNameLength) return Outcome.Fail<Team>($"A team name has at most {MaxNameLength} characters.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var organization = await db.Organizations.OrderBy(o => o.CreatedAt).FirstOrDefaultAsync(ct);
        if (organization is null) return Outcome.Fail<Team>("There is no organisation yet.");
        if (await db.Teams.AnyAsync(t => t.OrganizationId == organization.Id && t.Name == name, ct))
            return Outcome.Fail<Team>($"A team named '{name}' already exists.");
        string? parentName = null;
        if (parentTeamId is { } parentId)
        {
            parentName = await db.Teams.Where(t => t.Id == parentId).Select(t => t.Name).FirstOrDefaultAsync(ct);
            if (parentName is null) return Outcome.Fail<Team>("The parent team no longer exists.");
        }

        var team = new Team { Id = Guid.NewGuid(), OrganizationId = organization.Id, ParentTeamId = parentTeamId, Name = name, CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Teams.Add(team);
        try
        {
            await audit.SaveAsync(db, actor.Name, "team.created", $"team:{team.Id}", parentName is null ? name : $"{name} under {parentName}", ct);
        }
        catch (DbUpdateException)
        {
            if (!await NameTakenAsync(organization.Id, name, ct)) throw;
            return Outcome.Fail<Team>($"A team named '{name}' already exists."); // someone created it a moment ago
        }
        return team;
    }

    public const int LongestPayloadRetentionDays = 365;

    /// <summary>
    /// How long the gateway keeps this team's prompts and completions; null keeps none (the default). The key ring
    /// picks the change up on its next reload (within seconds) through <see cref="TeamSettingsChanged"/>.
    /// </summary>
    public async Task<Outcome<int?>> SetPayloadRetentionAsync(Actor actor, Guid teamId, int? days, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<int?>("Only an Owner or Admin can change what is kept.");
        if (days is < 1 or > LongestPayloadRetentionDays) return Outcome.Fail<int?>($"Keep payloads between 1 and {LongestPayloadRetentionDays} days, or not at all.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var team = await db.Teams.FirstOrDefaultAsync(t => t.Id == teamId, ct);
        if (team is null) return Outcome.Fail<int?>("That team no longer exists.");
        team.KeepPayloadsDays = days;
        await audit.SaveAsync(db, actor.Name, "team.payload_retention", $"team:{teamId}", days is null ? $"{team.Name}: keep no prompts" : $"{team.Name}: keep prompts and completions {days} days", ct);
        events.Publish(new TeamSettingsChanged(teamId));
        return days;
    }

    /// <summary>
    /// What the team's keys may do with budget transfers over the API (Features/Transfers/WalletApiEndpoints): request
    /// them, and approve or reject them (still only as far as the key's creator may). Owner and Admin only.
    /// </summary>
    public async Task<Outcome<Team>> SetKeyTransferApiAsync(Actor actor, Guid teamId, bool allowRequests, bool allowDecisions, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<Team>("Only an Owner or Admin can change what a team's keys may do with transfers.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var team = await db.Teams.FirstOrDefaultAsync(t => t.Id == teamId, ct);
        if (team is null) return Outcome.Fail<Team>("That team no longer exists.");
        team.AllowKeyTransferRequests = allowRequests;
        team.AllowKeyTransferDecisions = allowDecisions;
        await audit.SaveAsync(db, actor.Name, "team.key_transfer_api", $"team:{teamId}",
            $"{team.Name}: keys may {(allowRequests ? "" : "not ")}request transfers and may {(allowDecisions ? "" : "not ")}decide them", ct);
        return team;
    }

    public async Task<Outcome<TeamMembership>> AddMemberAsync(Actor actor, Guid teamId, Guid userId, string role, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<TeamMembership>("Only an Owner or Admin can change team members.");
        if (!TeamRoles.All.Contains(role)) return Outcome.Fail<TeamMembership>($"A member's role is one of {string.Join(", ", TeamRoles.All)}.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var team = await db.Teams.FirstOrDefaultAsync(t => t.Id == teamId, ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (team is null || user is null) return Outcome.Fail<TeamMembership>("That team or person no longer exists.");
        if (await db.TeamMemberships.AnyAsync(m => m.TeamId == teamId && m.UserId == userId, ct))
            return Outcome.Fail<TeamMembership>($"{user.DisplayName} is already in {team.Name}.");

        var membership = new TeamMembership { TeamId = teamId, UserId = userId, Role = role, AddedAt = clock.GetUtcNow().UtcDateTime };
        db.TeamMemberships.Add(membership);
        try
        {
            await audit.SaveAsync(db, actor.Name, "team.member_added", $"team:{teamId}", $"{user.Email} as {role} in {team.Name}", ct);
        }
        catch (DbUpdateException)
        {
            if (!await IsMemberAsync(teamId, userId, ct)) throw;
            return Outcome.Fail<TeamMembership>($"{user.DisplayName} is already in {team.Name}.");
        }
        return membership;
    }

    public async Task<Outcome<bool>> RemoveMemberAsync(Actor actor, Guid teamId, Guid userId, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<bool>("Only an Owner or Admin can change team members.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var membership = await db.TeamMemberships.FirstOrDefaultAsync(m => m.TeamId == teamId && m.UserId == userId, ct);
        if (membership is null) return Outcome.Fail<bool>("That person is no longer in the team.");
        var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstAsync(ct);
        var teamName = await db.Teams.Where(t => t.Id == teamId).Select(t => t.Name).FirstAsync(ct);

        db.TeamMemberships.Remove(membership);
        await audit.SaveAsync(db, actor.Name, "team.member_removed", $"team:{teamId}", $"{email} from {teamName}", ct);
        return true;
    }

    private async Task<bool> NameTakenAsync(Guid organizationId, string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Teams.AnyAsync(t => t.OrganizationId == organizationId && t.Name == name, ct);
    }

    private async Task<bool> IsMemberAsync(Guid teamId, Guid userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.TeamMemberships.AnyAsync(m => m.TeamId == teamId && m.UserId == userId, ct);
    }
}
