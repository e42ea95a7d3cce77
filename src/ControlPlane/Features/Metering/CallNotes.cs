namespace ControlPlane.Features.Metering;

/// <summary>
/// One line another feature adds to a call's details, e.g. "Experiment: 'cheaper', variant B" or "Prompt:
/// support-reply v3 (production)"; <paramref name="TestId"/> marks its text for browser tests.
/// </summary>
public sealed record CallNote(string Label, string Text, string? TestId = null);

/// <summary>
/// Lets another feature add lines to the Requests drawer (an experiment's variant, the caller's rating) without
/// Metering reading that feature's tables: every registered implementation is asked for the call's notes.
/// </summary>
public interface ICallNotes
{
    Task<IReadOnlyList<CallNote>> NotesAsync(Guid callId, CancellationToken ct = default);
}
