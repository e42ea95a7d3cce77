using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// Experiments as admins run them: create and edit drafts, start, stop, conclude with a winner, archive. Owner and
/// Admin change them; Auditors and team leads read them. Every change is audited and reaches every node's
/// <see cref="ExperimentBook"/> at once (this node reloads; the others through the cluster bus).
/// </summary>
public sealed class ExperimentService(IDbContextFactory<ControlPlaneDb> dbFactory, GatewayCatalog catalog, ExperimentBook book, AuditLog audit, TimeProvider clock, EventBus events)
{
    public static bool MayRead(Actor actor) => actor.Role is Roles.Owner or Roles.Admin or Roles.Auditor or Roles.TeamLead;
    public static bool MayWrite(Actor actor) => actor.CanManageAllTeams;

    private const string WriteRefusal = "Only an Owner or Admin can change experiments.";

    public async Task<IReadOnlyList<ExperimentRow>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayRead(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiments = await db.Experiments.AsNoTracking().Include(e => e.Variants).ToListAsync(ct);
        return [.. experiments.OrderBy(e => e.Status == ExperimentStatus.Archived).ThenByDescending(e => e.CreatedAt).Select(ExperimentRow.Of)];
    }

    /// <summary>The live per-variant table; null when the experiment does not exist or the actor may not read it.</summary>
    public async Task<ExperimentReport?> ResultsAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!MayRead(actor)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiment = await db.Experiments.AsNoTracking().Include(e => e.Variants).FirstOrDefaultAsync(e => e.Id == id, ct);
        return experiment is null ? null : await ExperimentResults.ReportAsync(db, experiment, ct);
    }

    public async Task<Outcome<ExperimentRow>> SaveAsync(Actor actor, Guid? id, ExperimentForm form, CancellationToken ct = default)
    {
        if (!MayWrite(actor)) return Outcome.Fail<ExperimentRow>(WriteRefusal);
        if (form.Problem(catalog.Current) is { } problem) return Outcome.Fail<ExperimentRow>(problem);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var model = form.Model.Trim();
        if (await Overlapping(db, model, id, ct) is { } other)
            return Outcome.Fail<ExperimentRow>($"Experiment '{other.Name}' ({other.Status}) already splits '{model}': archive it first, or split another alias.");
        if (form.TeamId is { } team && !await db.Teams.AnyAsync(t => t.Id == team, ct)) return Outcome.Fail<ExperimentRow>("That team no longer exists.");
        if (form.ProjectId is { } project && !await db.Projects.AnyAsync(p => p.Id == project, ct)) return Outcome.Fail<ExperimentRow>("That project no longer exists.");

        var experiment = id is { } existing ? await db.Experiments.Include(e => e.Variants).FirstOrDefaultAsync(e => e.Id == existing, ct) : null;
        if (id is not null && experiment is null) return Outcome.Fail<ExperimentRow>("That experiment no longer exists.");
        if (experiment is { Status: not ExperimentStatus.Draft })
            return Outcome.Fail<ExperimentRow>("Only a draft can be edited (changing a running split would move users between variants): stop it first.");
        if (experiment is null)
        {
            experiment = new Experiment { Id = Guid.NewGuid(), Name = "", Model = "", Status = ExperimentStatus.Draft, CreatedAt = Now };
            db.Experiments.Add(experiment);
        }
        experiment.Name = form.Name.Trim();
        experiment.Model = model;
        experiment.TeamId = form.TeamId;
        experiment.ProjectId = form.ProjectId;
        experiment.Tag = string.IsNullOrWhiteSpace(form.Tag) ? null : form.Tag.Trim();
        experiment.StickyBy = form.StickyBy;
        experiment.Goal = form.Goal;
        experiment.Alpha = form.Alpha;
        experiment.MinSamples = form.MinSamples;
        experiment.AutoPromote = form.AutoPromote;
        db.ExperimentVariants.RemoveRange(experiment.Variants);
        experiment.Variants = [.. form.Variants.Select((v, i) => new ExperimentVariant
        {
            Id = Guid.NewGuid(), ExperimentId = experiment.Id, Name = v.Name.Trim(), TargetAlias = v.TargetAlias.Trim(), Percent = v.Percent,
            Position = i, Temperature = v.Temperature, MaxTokens = v.MaxTokens,
        })];
        db.ExperimentVariants.AddRange(experiment.Variants);
        await audit.SaveAsync(db, actor.Name, id is null ? "experiment.created" : "experiment.updated", $"experiment:{experiment.Name}", Describe(experiment), ct);
        return ExperimentRow.Of(experiment);
    }

    public Task<Outcome<ExperimentRow>> StartAsync(Actor actor, Guid id, CancellationToken ct = default) =>
        ChangeAsync(actor, id, "experiment.started", e => e.Status == ExperimentStatus.Draft ? null : "Only a draft can be started.", e =>
        {
            e.Status = ExperimentStatus.Running;
            e.StartedAt ??= Now;
        }, ct);

    /// <summary>Back to draft: its calls go to the alias they asked for again; the results so far are kept.</summary>
    public Task<Outcome<ExperimentRow>> StopAsync(Actor actor, Guid id, CancellationToken ct = default) =>
        ChangeAsync(actor, id, "experiment.stopped", e => e.Status == ExperimentStatus.Running ? null : "Only a running experiment can be stopped.",
            e => e.Status = ExperimentStatus.Draft, ct);

    /// <summary>Promotes <paramref name="winner"/>: from now on every matching call goes to it, until the experiment is archived.</summary>
    public Task<Outcome<ExperimentRow>> ConcludeAsync(Actor actor, Guid id, string winner, CancellationToken ct = default) =>
        ChangeAsync(actor, id, "experiment.concluded",
            e => e.Status is not (ExperimentStatus.Running or ExperimentStatus.Draft) ? "Only a running or stopped experiment can be concluded."
                : e.Variants.All(v => v.Name != winner) ? $"The experiment has no variant '{winner}'." : null,
            e => Conclude(e, winner, actor.Name), ct);

    /// <summary>Off for good: matching calls go to the alias they asked for.</summary>
    public Task<Outcome<ExperimentRow>> ArchiveAsync(Actor actor, Guid id, CancellationToken ct = default) =>
        ChangeAsync(actor, id, "experiment.archived", e => e.Status == ExperimentStatus.Archived ? "The experiment is already archived." : null,
            e => e.Status = ExperimentStatus.Archived, ct);

    internal void Conclude(Experiment experiment, string winner, string by)
    {
        experiment.Status = ExperimentStatus.Concluded;
        experiment.Winner = winner;
        experiment.ConcludedAt = Now;
        experiment.ConcludedBy = by;
    }

    private async Task<Outcome<ExperimentRow>> ChangeAsync(Actor actor, Guid id, string action, Func<Experiment, string?> refusal, Action<Experiment> change, CancellationToken ct)
    {
        if (!MayWrite(actor)) return Outcome.Fail<ExperimentRow>(WriteRefusal);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiment = await db.Experiments.Include(e => e.Variants).FirstOrDefaultAsync(e => e.Id == id, ct);
        if (experiment is null) return Outcome.Fail<ExperimentRow>("That experiment no longer exists.");
        if (refusal(experiment) is { } why) return Outcome.Fail<ExperimentRow>(why);
        change(experiment);
        await SaveAndPublishAsync(db, actor.Name, action, experiment, ct);
        return ExperimentRow.Of(experiment);
    }

    internal async Task SaveAndPublishAsync(ControlPlaneDb db, string actorName, string action, Experiment experiment, CancellationToken ct)
    {
        await audit.SaveAsync(db, actorName, action, $"experiment:{experiment.Name}", Describe(experiment), ct);
        await book.ReloadAsync(ct);
        events.Publish(new ExperimentsChanged()); // the other nodes reload theirs
    }

    private static Task<Experiment?> Overlapping(ControlPlaneDb db, string model, Guid? id, CancellationToken ct) =>
        db.Experiments.AsNoTracking().FirstOrDefaultAsync(e => e.Model == model && e.Id != id && e.Status != ExperimentStatus.Archived, ct);

    private static string Describe(Experiment e) =>
        $"{e.Status} on '{e.Model}'{(e.Tag is null ? "" : $" tag {e.Tag}")}: " + string.Join(", ", e.Variants.OrderBy(v => v.Position).Select(v => $"{v.Name} {v.Percent} % → {v.TargetAlias}"))
        + (e.Winner is null ? "" : $"; winner {e.Winner}");

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
