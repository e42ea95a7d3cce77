using System.Globalization;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Experiments;

/// <summary>A call's experiment and variant, and the caller's rating of it (with how often it was replaced), for the Requests drawer.</summary>
public sealed class ExperimentCallNotes(IDbContextFactory<ControlPlaneDb> dbFactory) : ICallNotes
{
    public async Task<IReadOnlyList<CallNote>> NotesAsync(Guid callId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var notes = new List<CallNote>(2);
        var call = await db.Calls.AsNoTracking().Where(c => c.Id == callId).Select(c => new { c.ExperimentId, c.ExperimentVariant }).FirstOrDefaultAsync(ct);
        if (call?.ExperimentId is { } experimentId)
        {
            var name = await db.Experiments.AsNoTracking().Where(e => e.Id == experimentId).Select(e => e.Name).FirstOrDefaultAsync(ct);
            notes.Add(new("Experiment", $"'{name ?? "a deleted experiment"}', variant {call.ExperimentVariant}"));
        }
        if (await db.CallFeedback.AsNoTracking().FirstOrDefaultAsync(f => f.CallId == callId, ct) is { } feedback)
        {
            var score = feedback.Score.ToString("0.####", CultureInfo.InvariantCulture);
            notes.Add(new("Feedback", $"{score}{(feedback.Comment is { } c ? $": \"{c}\"" : "")} (rated {feedback.At:yyyy-MM-dd HH:mm} UTC"
                + (feedback.Replaced > 0 ? $", replacing an earlier rating {feedback.Replaced}×, see the audit log)" : ")")));
        }
        return notes;
    }
}
