using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// Every five minutes (once per cluster): each running experiment set to auto-promote whose variants all reached the
/// minimum sample, and whose best variant on its goal is significantly better than every other, is concluded with
/// that variant as the winner (audited as this job). Idempotent: a concluded experiment is not looked at again.
/// </summary>
public sealed partial class ExperimentAutoPromoter(IDbContextFactory<ControlPlaneDb> dbFactory, ExperimentService experiments, ILogger<ExperimentAutoPromoter> logger) : IScheduledJob
{
    public const string JobId = "experiments.auto-promote";
    public const string Actor = "job:" + JobId;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var running = await db.Experiments.Include(e => e.Variants)
            .Where(e => e.Status == ExperimentStatus.Running && e.AutoPromote).ToListAsync(cancellationToken);
        foreach (var experiment in running)
        {
            var report = await ExperimentResults.ReportAsync(db, experiment, cancellationToken);
            if (report.Leader is not { } winner) continue;
            experiments.Conclude(experiment, winner, Actor);
            await experiments.SaveAndPublishAsync(db, Actor, "experiment.promoted", experiment, cancellationToken);
            LogPromoted(logger, experiment.Name, winner);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Experiment}: variant {Winner} promoted (significant, minimum sample reached)")]
    private static partial void LogPromoted(ILogger logger, string experiment, string winner);
}
