using ControlPlane.Features.Metering;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Prompts;

/// <summary>A prompt as the list shows it.</summary>
public sealed record PromptRow(Guid Id, string Name, string? Description, string OwnerTeam, bool RequiresApproval, bool Shared,
    int Versions, int? Production, int? Staging, int PendingMoves, DateTime LastVersionAt);

/// <summary>One prompt in full, as the actor may see and change it.</summary>
public sealed record PromptDetail(Prompt Prompt, string OwnerTeam, IReadOnlyList<PromptVersion> Versions, IReadOnlyList<PromptLabel> Labels,
    IReadOnlyList<PromptLabelMove> Moves, bool CanEdit, Guid? ViewerId, string ViewerName)
{
    public PromptVersion? Version(Guid id) => Versions.FirstOrDefault(v => v.Id == id);
    public int? NumberOf(Guid? id) => id is { } v ? Version(v)?.Number : null;

    /// <summary>The labels that point at a version.</summary>
    public IEnumerable<string> LabelsOn(Guid versionId) => Labels.Where(l => l.VersionId == versionId).Select(l => l.Name).Order(StringComparer.Ordinal);

    /// <summary>The viewer may decide this pending move: they manage the prompt and neither asked for it nor wrote its version.</summary>
    public bool CanDecide(PromptLabelMove move) =>
        CanEdit && move.State == LabelMoveStates.Pending && !Same(move.RequestedById, move.RequestedBy)
        && Version(move.ToVersionId) is { } v && !Same(v.AuthorId, v.Author);

    private bool Same(Guid? id, string name) =>
        ViewerId is { } me && id is { } other ? me == other : string.Equals(ViewerName, name, StringComparison.OrdinalIgnoreCase);
}

/// <summary>What one version's calls did (from the call log): counts, cost, tokens, latency, errors.</summary>
public sealed record VersionMetrics(Guid VersionId, int Number, long Calls, long Errors, decimal Cost, long InputTokens, long OutputTokens, double AverageLatencyMs)
{
    public decimal CostPerCall => Calls == 0 ? 0 : Cost / Calls;
    public double ErrorRate => Calls == 0 ? 0 : (double)Errors / Calls;
    public double TokensPerCall => Calls == 0 ? 0 : (double)(InputTokens + OutputTokens) / Calls;
    /// <summary>The mean of the callers' ratings (<c>POST /v1/feedback</c>) on the 0..1 scale; null while no call is rated.</summary>
    public double? FeedbackScore { get; init; }
    /// <summary>How many of the calls were rated.</summary>
    public long Rated { get; init; }
}

/// <summary>Reads of the registry, scoped as the Teams page: the actor's teams' prompts (all for org-wide roles), and shared ones.</summary>
public sealed class PromptQueries(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams)
{
    public async Task<IReadOnlyList<PromptRow>> ListAsync(Actor actor, string? search = null, CancellationToken ct = default)
    {
        var scope = await teams.VisibleToAsync(actor, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompts = await db.Prompts.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct);
        prompts = [.. prompts.Where(p => p.Shared || scope.Includes(p.OwnerTeamId))];
        if (!string.IsNullOrWhiteSpace(search))
        {
            var s = search.Trim();
            prompts = [.. prompts.Where(p => p.Name.Contains(s, StringComparison.OrdinalIgnoreCase) || (p.Description?.Contains(s, StringComparison.OrdinalIgnoreCase) ?? false))];
        }
        var ids = prompts.Select(p => p.Id).ToList();
        var versions = (await db.PromptVersions.AsNoTracking().Where(v => ids.Contains(v.PromptId))
            .Select(v => new { v.Id, v.PromptId, v.Number, v.CreatedAt }).ToListAsync(ct)).ToLookup(v => v.PromptId);
        var labels = (await db.PromptLabels.AsNoTracking().Where(l => ids.Contains(l.PromptId)).ToListAsync(ct)).ToLookup(l => l.PromptId);
        var pending = (await db.PromptLabelMoves.AsNoTracking().Where(m => ids.Contains(m.PromptId) && m.State == LabelMoveStates.Pending)
            .Select(m => m.PromptId).ToListAsync(ct)).CountBy(id => id).ToDictionary();
        var teamNames = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        return [.. prompts.Select(p =>
        {
            var mine = versions[p.Id].ToList();
            int? NumberAt(string label) => labels[p.Id].FirstOrDefault(l => l.Name == label) is { } l ? mine.FirstOrDefault(v => v.Id == l.VersionId)?.Number : null;
            return new PromptRow(p.Id, p.Name, p.Description, teamNames.GetValueOrDefault(p.OwnerTeamId, "?"), p.RequiresApproval, p.Shared, mine.Count,
                NumberAt(PromptLabel.Production), NumberAt(PromptLabel.Staging), pending.GetValueOrDefault(p.Id),
                mine.Count == 0 ? p.CreatedAt : mine.Max(v => v.CreatedAt));
        })];
    }

    public async Task<PromptDetail?> FindAsync(Actor actor, Guid promptId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompt = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == promptId, ct);
        if (prompt is null) return null;
        if (!prompt.Shared && !(await teams.VisibleToAsync(actor, ct)).Includes(prompt.OwnerTeamId)) return null;
        var versions = await db.PromptVersions.AsNoTracking().Where(v => v.PromptId == promptId).OrderByDescending(v => v.Number).ToListAsync(ct);
        var labels = await db.PromptLabels.AsNoTracking().Where(l => l.PromptId == promptId).OrderBy(l => l.Name).ToListAsync(ct);
        var moves = await db.PromptLabelMoves.AsNoTracking().Where(m => m.PromptId == promptId).OrderByDescending(m => m.RequestedAt).Take(200).ToListAsync(ct);
        var team = await db.Teams.AsNoTracking().Where(t => t.Id == prompt.OwnerTeamId).Select(t => t.Name).FirstOrDefaultAsync(ct) ?? "?";
        var canEdit = (await teams.ManagedByAsync(actor, ct)).Includes(prompt.OwnerTeamId);
        return new PromptDetail(prompt, team, versions, labels, moves, canEdit, actor.UserId, actor.Name);
    }

    /// <summary>Per version of the prompt, what its calls through the gateway did (versions without calls included, at zero).</summary>
    public async Task<IReadOnlyList<VersionMetrics>> MetricsAsync(Actor actor, Guid promptId, CancellationToken ct = default)
    {
        if (await FindAsync(actor, promptId, ct) is not { } detail) return [];
        var ids = detail.Versions.Select(v => v.Id).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var totals = ids.ToDictionary(id => id, _ => new Totals());
        // Summed here rather than in SQL: SQLite cannot sum decimals, and the same code then runs on every database.
        await foreach (var c in db.Calls.AsNoTracking().Where(c => c.PromptVersionId != null && ids.Contains(c.PromptVersionId.Value))
            .Select(c => new
            {
                c.PromptVersionId, c.Count, Failed = c.ErrorClass != null, c.Cost, c.InputTokens, c.OutputTokens, c.LatencyMs,
                Score = db.Set<Experiments.CallFeedback>().Where(f => f.CallId == c.Id).Select(f => (decimal?)f.Score).FirstOrDefault(),
            })
            .AsAsyncEnumerable().WithCancellation(ct))
        {
            var t = totals[c.PromptVersionId!.Value];
            t.Calls += c.Count;
            if (c.Failed) t.Errors += c.Count;
            t.Cost += c.Cost;
            t.Input += c.InputTokens;
            t.Output += c.OutputTokens;
            t.Latency += c.LatencyMs;
            t.Rows++;
            if (c.Score is { } score)
            {
                t.Rated++;
                t.Scores += Experiments.CallFeedback.Normalised(score);
            }
        }
        return [.. detail.Versions.Select(v =>
        {
            var t = totals[v.Id];
            return new VersionMetrics(v.Id, v.Number, t.Calls, t.Errors, t.Cost, t.Input, t.Output, t.Rows == 0 ? 0 : (double)t.Latency / t.Rows)
            {
                Rated = t.Rated,
                FeedbackScore = t.Rated == 0 ? null : (double)(t.Scores / t.Rated),
            };
        })];
    }

    private sealed class Totals
    {
        public long Calls, Errors, Input, Output, Latency, Rows, Rated;
        public decimal Cost, Scores;
    }
}

/// <summary>The Requests drawer's "Prompt" line: the registry version the gateway rendered, e.g. "support-reply v3 (production)".</summary>
internal sealed class CallPromptNotes(IDbContextFactory<ControlPlaneDb> dbFactory) : ICallNotes
{
    public async Task<IReadOnlyList<CallNote>> NotesAsync(Guid callId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var used = await db.Calls.AsNoTracking().Where(c => c.Id == callId && c.PromptVersionId != null)
            .Select(c => new { c.PromptVersionId, c.PromptLabel }).FirstOrDefaultAsync(ct);
        if (used is null) return [];
        var found = await (from v in db.PromptVersions.AsNoTracking()
                           join p in db.Prompts.AsNoTracking() on v.PromptId equals p.Id
                           where v.Id == used.PromptVersionId
                           select new { p.Name, v.Number }).FirstOrDefaultAsync(ct);
        var text = found is null ? "a prompt version since deleted" : $"{found.Name} v{found.Number}{(used.PromptLabel is null ? "" : $" ({used.PromptLabel})")}";
        return [new CallNote("Prompt", text, TestId: "call-prompt")];
    }
}
