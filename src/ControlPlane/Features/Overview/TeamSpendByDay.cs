using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Overview;

/// <summary>How many days back the Overview's spend chart reaches, today included.</summary>
public enum SpendRange
{
    Week = 7,
    Month = 30,
}

/// <summary>One team's spend on each day of <see cref="DailyTeamSpend.Days"/> (same order, zero where it spent nothing).</summary>
public sealed record TeamDaySpend(Guid TeamId, string Team, IReadOnlyList<decimal> PerDay)
{
    public decimal Total => PerDay.Sum();
}

/// <summary>
/// Spend per UTC day and team over a range: <see cref="Days"/> are the first instants of the days, oldest first, every
/// day present; one entry per team that spent anything in the range, in the team tree's order.
/// </summary>
public sealed record DailyTeamSpend(IReadOnlyList<DateTime> Days, IReadOnlyList<TeamDaySpend> Teams);

/// <summary>
/// Reads the daily rollups (never the raw call log) for the Overview's spend chart: each call's cost on its own team (a subteam's calls are its own
/// series, so stacked bars add up to the total without counting anything twice), summed by the database per team and
/// UTC day. Scoped as the rest of the page: org-wide roles see every team, everyone else their teams and subteams.
/// </summary>
public sealed class TeamSpendByDay(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, TimeProvider clock)
{
    /// <summary>Calls of a team that no longer exists still cost money; they are shown under this name.</summary>
    public const string RemovedTeam = "(removed team)";

    public async Task<DailyTeamSpend> ReadAsync(Actor actor, SpendRange range, CancellationToken ct = default)
    {
        var today = clock.GetUtcNow().UtcDateTime.Date;
        var from = today.AddDays(1 - (int)range);
        var to = today.AddDays(1);
        var days = Enumerable.Range(0, (int)range).Select(d => from.AddDays(d)).ToList();

        var visible = await teams.VisibleToAsync(actor, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rollups = db.CallRollups.AsNoTracking().Where(r => r.Grain == RollupGrain.Day && r.TeamId != Guid.Empty && r.Bucket >= from && r.Bucket < to && r.Cost != 0);
        if (!visible.IsEverything)
        {
            var ids = visible.TeamIds.ToList();
            rollups = rollups.Where(r => ids.Contains(r.TeamId));
        }
        var sums = (await rollups.GroupBy(r => new { r.TeamId, Day = r.Bucket })
            .Select(g => new { g.Key.TeamId, g.Key.Day, Cost = g.Sum(r => r.Cost) })
            .ToListAsync(ct)).Where(s => s.Cost != 0).ToList();
        if (sums.Count == 0) return new DailyTeamSpend(days, []);

        var tree = await teams.ListAsync(visible, ct);
        var order = tree.Select((node, i) => (node.Team.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var paths = tree.ToDictionary(n => n.Team.Id, n => n.Path);
        var series = sums.GroupBy(s => s.TeamId)
            .Select(team =>
            {
                var perDay = new decimal[days.Count];
                foreach (var day in team) perDay[(day.Day - from).Days] += day.Cost;
                return new TeamDaySpend(team.Key, paths.GetValueOrDefault(team.Key, RemovedTeam), perDay);
            })
            .OrderBy(t => order.GetValueOrDefault(t.TeamId, int.MaxValue)).ThenBy(t => t.TeamId)
            .ToList();
        return new DailyTeamSpend(days, series);
    }
}
