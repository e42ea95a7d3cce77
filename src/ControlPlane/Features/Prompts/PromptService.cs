using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Prompts;

/// <summary>
/// Changes to the registry. Who may do what:
/// <list type="bullet">
/// <item>Create prompts, add versions, change settings, move labels: whoever manages the owner team (its lead, an
/// Admin or Owner). Only an Admin or Owner may switch a prompt's approval requirement off.</item>
/// <item>Moving <c>production</c> of a prompt that requires approval makes a request; it is approved or rejected by
/// someone who manages the owner team and is neither the requester nor the author of the version it moves to.</item>
/// </list>
/// Versions are never changed once added. Every change is audited in its own transaction and reaches every node's
/// <see cref="PromptCatalog"/> at once.
/// </summary>
public sealed class PromptService(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, AuditLog audit, PromptCatalog catalog,
    EventBus events, TimeProvider clock)
{
    public async Task<Outcome<Prompt>> CreateAsync(Actor actor, PromptForm form, CancellationToken ct = default)
    {
        if (form.Problem() is { } problem) return Outcome.Fail<Prompt>(problem);
        if (form.FirstVersion.Problem(out var parameters) is { } versionProblem) return Outcome.Fail<Prompt>(versionProblem);
        if (!await ManagesAsync(actor, form.OwnerTeamId, ct)) return Outcome.Fail<Prompt>("You can create prompts only for teams you lead.");
        var name = form.Name.Trim();
        var now = Now();

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await AuditLog.LockChainAsync(db, ct);
        if (await db.Prompts.AnyAsync(p => p.Name == name, ct)) return Outcome.Fail<Prompt>($"A prompt named '{name}' exists already; add a version to it instead.");
        if (!await db.Teams.AnyAsync(t => t.Id == form.OwnerTeamId, ct)) return Outcome.Fail<Prompt>("That team does not exist.");
        var prompt = new Prompt
        {
            Id = Guid.CreateVersion7(), Name = name, Description = Blank(form.Description), OwnerTeamId = form.OwnerTeamId,
            RequiresApproval = form.RequiresApproval, Shared = form.Shared, CreatedAt = now, CreatedBy = actor.Name,
        };
        db.Prompts.Add(prompt);
        db.PromptVersions.Add(NewVersion(actor, prompt.Id, 1, form.FirstVersion, parameters, now));
        await audit.AppendAsync(db, actor.Name, "prompt.created", Target(prompt.Id),
            $"{name}, owned by team {form.OwnerTeamId}{(prompt.RequiresApproval ? ", production moves need approval" : "")}{(prompt.Shared ? ", shared" : "")}", ct);
        await transaction.CommitAsync(ct);
        await ChangedAsync(prompt.Id, ct);
        return prompt;
    }

    public async Task<Outcome<PromptVersion>> AddVersionAsync(Actor actor, Guid promptId, VersionForm form, CancellationToken ct = default)
    {
        if (form.Problem(out var parameters) is { } problem) return Outcome.Fail<PromptVersion>(problem);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompt = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == promptId, ct);
        if (prompt is null) return Outcome.Fail<PromptVersion>("No such prompt.");
        if (!await ManagesAsync(actor, prompt.OwnerTeamId, ct)) return Outcome.Fail<PromptVersion>("You can add versions only to the prompts of teams you lead.");

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Under the chain lock every audited write is serialized, so the next number cannot be taken twice.
        await AuditLog.LockChainAsync(db, ct);
        var number = (await db.PromptVersions.Where(v => v.PromptId == promptId).MaxAsync(v => (int?)v.Number, ct) ?? 0) + 1;
        var version = NewVersion(actor, promptId, number, form, parameters, Now());
        db.PromptVersions.Add(version);
        await audit.AppendAsync(db, actor.Name, "prompt.version_added", Target(promptId), $"{prompt.Name} v{number}: {version.ChangeNote}", ct);
        await transaction.CommitAsync(ct);
        await ChangedAsync(promptId, ct);
        return version;
    }

    public async Task<Outcome<Prompt>> UpdateSettingsAsync(Actor actor, Guid promptId, string? description, bool requiresApproval, bool shared, CancellationToken ct = default)
    {
        if (description?.Trim().Length > Prompt.MaxDescriptionLength) return Outcome.Fail<Prompt>($"A description is at most {Prompt.MaxDescriptionLength} characters.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompt = await db.Prompts.FirstOrDefaultAsync(p => p.Id == promptId, ct);
        if (prompt is null) return Outcome.Fail<Prompt>("No such prompt.");
        if (!await ManagesAsync(actor, prompt.OwnerTeamId, ct)) return Outcome.Fail<Prompt>("You can change only the prompts of teams you lead.");
        if (prompt.RequiresApproval && !requiresApproval && !actor.CanManageAllTeams)
            return Outcome.Fail<Prompt>("Only an Admin can switch off the approval of production moves.");
        prompt.Description = Blank(description);
        prompt.RequiresApproval = requiresApproval;
        prompt.Shared = shared;
        await audit.SaveAsync(db, actor.Name, "prompt.settings_changed", Target(promptId),
            $"{prompt.Name}: production moves {(requiresApproval ? "need approval" : "need no approval")}, {(shared ? "shared with every team" : "owner team only")}", ct);
        await ChangedAsync(promptId, ct);
        return prompt;
    }

    /// <summary>
    /// Points <paramref name="label"/> at a version (a rollback is a move back). Applied at once, except production of a
    /// prompt that requires approval: that becomes a pending request (<see cref="LabelMoveStates.Pending"/>).
    /// </summary>
    public async Task<Outcome<PromptLabelMove>> MoveLabelAsync(Actor actor, Guid promptId, string label, Guid versionId, string? note, CancellationToken ct = default)
    {
        label = label.Trim();
        if (LabelNames.Problem(label) is { } problem) return Outcome.Fail<PromptLabelMove>(problem);
        if (note?.Trim().Length > PromptVersion.MaxNoteLength) return Outcome.Fail<PromptLabelMove>($"A note is at most {PromptVersion.MaxNoteLength} characters.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompt = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == promptId, ct);
        if (prompt is null) return Outcome.Fail<PromptLabelMove>("No such prompt.");
        if (!await ManagesAsync(actor, prompt.OwnerTeamId, ct)) return Outcome.Fail<PromptLabelMove>("You can move labels only on the prompts of teams you lead.");
        var version = await db.PromptVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Id == versionId && v.PromptId == promptId, ct);
        if (version is null) return Outcome.Fail<PromptLabelMove>("That version is not one of this prompt's.");

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await AuditLog.LockChainAsync(db, ct);
        var current = await db.PromptLabels.FirstOrDefaultAsync(l => l.PromptId == promptId && l.Name == label, ct);
        if (current?.VersionId == versionId) return Outcome.Fail<PromptLabelMove>($"'{label}' already points at v{version.Number}.");
        var pending = await db.PromptLabelMoves.AsNoTracking().FirstOrDefaultAsync(m => m.PromptId == promptId && m.Label == label && m.State == LabelMoveStates.Pending, ct);
        if (pending is not null) return Outcome.Fail<PromptLabelMove>($"A move of '{label}' asked for by {pending.RequestedBy} waits for a decision; approve or reject it first.");

        var now = Now();
        var needsApproval = label == PromptLabel.Production && prompt.RequiresApproval;
        var move = new PromptLabelMove
        {
            Id = Guid.CreateVersion7(), PromptId = promptId, Label = label, FromVersionId = current?.VersionId, ToVersionId = versionId,
            State = needsApproval ? LabelMoveStates.Pending : LabelMoveStates.Applied, Note = Blank(note),
            RequestedById = actor.UserId, RequestedBy = actor.Name, RequestedAt = now,
            DecidedAt = needsApproval ? null : now,
        };
        db.PromptLabelMoves.Add(move);
        var from = current is null ? "" : $" from v{await NumberAsync(db, current.VersionId, ct)}";
        if (!needsApproval) Point(db, current, promptId, label, versionId, actor.Name, now);
        await audit.AppendAsync(db, actor.Name, needsApproval ? "prompt.label_move_requested" : "prompt.label_moved", Target(promptId),
            $"{prompt.Name}: {label}{from} to v{version.Number}{(needsApproval ? ", waiting for approval" : "")}{(move.Note is null ? "" : $": {move.Note}")}", ct);
        await transaction.CommitAsync(ct);
        if (!needsApproval) await ChangedAsync(promptId, ct);
        else events.Publish(new PromptsChanged(promptId)); // open pages show the request
        return move;
    }

    /// <summary>Approves (the label moves) or rejects a pending move; never by its requester or by the version's author.</summary>
    public async Task<Outcome<PromptLabelMove>> DecideLabelMoveAsync(Actor actor, Guid moveId, bool approve, string? comment, CancellationToken ct = default)
    {
        comment = Blank(comment);
        if (comment?.Length > PromptVersion.MaxNoteLength) return Outcome.Fail<PromptLabelMove>($"A comment is at most {PromptVersion.MaxNoteLength} characters.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var move = await db.PromptLabelMoves.AsNoTracking().FirstOrDefaultAsync(m => m.Id == moveId, ct);
        if (move is null) return Outcome.Fail<PromptLabelMove>("No such request.");
        var prompt = await db.Prompts.AsNoTracking().FirstAsync(p => p.Id == move.PromptId, ct);
        if (!await ManagesAsync(actor, prompt.OwnerTeamId, ct))
            return Outcome.Fail<PromptLabelMove>("Label moves are decided by the owner team's lead or an Admin.");
        var version = await db.PromptVersions.AsNoTracking().FirstAsync(v => v.Id == move.ToVersionId, ct);
        if (Same(actor, move.RequestedById, move.RequestedBy)) return Outcome.Fail<PromptLabelMove>("You asked for this move: someone else must decide it.");
        if (Same(actor, version.AuthorId, version.Author)) return Outcome.Fail<PromptLabelMove>($"You wrote v{version.Number}: someone else must approve putting it in {move.Label}.");

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await AuditLog.LockChainAsync(db, ct);
        var now = Now();
        // Claimed only while still pending: of two deciders at once, the second finds it decided.
        var claimed = await db.PromptLabelMoves.Where(m => m.Id == moveId && m.State == LabelMoveStates.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.State, approve ? LabelMoveStates.Applied : LabelMoveStates.Rejected)
                .SetProperty(m => m.DecidedBy, actor.Name).SetProperty(m => m.DecidedAt, now).SetProperty(m => m.Comment, comment), ct);
        if (claimed == 0) return Outcome.Fail<PromptLabelMove>("This request was decided already.");
        if (approve)
        {
            var current = await db.PromptLabels.FirstOrDefaultAsync(l => l.PromptId == move.PromptId && l.Name == move.Label, ct);
            Point(db, current, move.PromptId, move.Label, move.ToVersionId, actor.Name, now);
        }
        await audit.AppendAsync(db, actor.Name, approve ? "prompt.label_move_approved" : "prompt.label_move_rejected", Target(move.PromptId),
            $"{prompt.Name}: {move.Label} to v{version.Number}, asked for by {move.RequestedBy}{(comment is null ? "" : $": {comment}")}", ct);
        await transaction.CommitAsync(ct);
        await ChangedAsync(move.PromptId, ct);
        move.State = approve ? LabelMoveStates.Applied : LabelMoveStates.Rejected;
        move.DecidedBy = actor.Name;
        move.DecidedAt = now;
        move.Comment = comment;
        return move;
    }

    private static void Point(ControlPlaneDb db, PromptLabel? current, Guid promptId, string label, Guid versionId, string by, DateTime now)
    {
        if (current is null)
        {
            db.PromptLabels.Add(new PromptLabel { Id = Guid.CreateVersion7(), PromptId = promptId, Name = label, VersionId = versionId, MovedAt = now, MovedBy = by });
            return;
        }
        current.VersionId = versionId;
        current.MovedAt = now;
        current.MovedBy = by;
    }

    internal static PromptVersion NewVersion(Actor actor, Guid promptId, int number, VersionForm form, string? parameters, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(), PromptId = promptId, Number = number,
        Messages = PromptTemplate.Serialize(form.Messages), Model = Blank(form.Model), Parameters = parameters,
        ChangeNote = form.ChangeNote.Trim(), AuthorId = actor.UserId, Author = actor.Name, CreatedAt = now,
    };

    private static async Task<int> NumberAsync(ControlPlaneDb db, Guid versionId, CancellationToken ct) =>
        await db.PromptVersions.Where(v => v.Id == versionId).Select(v => v.Number).FirstOrDefaultAsync(ct);

    /// <summary>The same person: by id when both have one, by name otherwise (the command line has no id).</summary>
    private static bool Same(Actor actor, Guid? userId, string name) =>
        actor.UserId is { } id && userId is { } other ? id == other : string.Equals(actor.Name, name, StringComparison.OrdinalIgnoreCase);

    internal async Task<bool> ManagesAsync(Actor actor, Guid teamId, CancellationToken ct) =>
        actor.Role is Roles.Owner or Roles.Admin or Roles.TeamLead && (await teams.ManagedByAsync(actor, ct)).Includes(teamId);

    internal async Task ChangedAsync(Guid? promptId, CancellationToken ct)
    {
        await catalog.ReloadAsync(ct); // this node serves the change from the next call on
        events.Publish(new PromptsChanged(promptId)); // the others reload theirs; open pages re-read
    }

    internal static string Target(Guid promptId) => $"prompt:{promptId}";

    private DateTime Now() => clock.GetUtcNow().UtcDateTime;

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
