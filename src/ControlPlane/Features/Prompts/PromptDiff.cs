using DiffPlex.Chunkers;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace ControlPlane.Features.Prompts;

/// <summary>One line of a diff: what happened to it (Unchanged, Inserted, Deleted, Modified, or Imaginary: a gap that lines the two sides up).</summary>
public sealed record DiffLine(ChangeType Change, int? Number, string Text);

/// <summary>Two versions compared, line by line, in both layouts: inline (one column) and side by side (old | new).</summary>
public sealed record DiffSection(string Title, IReadOnlyList<DiffLine> Inline, IReadOnlyList<DiffLine> Old, IReadOnlyList<DiffLine> New)
{
    public bool Changed => Inline.Any(l => l.Change != ChangeType.Unchanged);
}

/// <summary>Diffs two prompt versions with DiffPlex: the messages (each under its role) and the model and parameters.</summary>
public static class PromptDiff
{
    public static IReadOnlyList<DiffSection> Compare(PromptVersion from, PromptVersion to) =>
    [
        Section("Messages", PromptTemplate.MessagesText(PromptTemplate.Parse(from.Messages)), PromptTemplate.MessagesText(PromptTemplate.Parse(to.Messages))),
        Section("Model and parameters", PromptTemplate.SettingsText(from.Model, from.Parameters), PromptTemplate.SettingsText(to.Model, to.Parameters)),
    ];

    public static DiffSection Section(string title, string oldText, string newText)
    {
        var inline = InlineDiffBuilder.Diff(oldText, newText, ignoreWhiteSpace: false, ignoreCase: false, chunker: LineChunker.Instance);
        var sides = SideBySideDiffBuilder.Diff(oldText, newText, ignoreWhiteSpace: false, ignoreCase: false);
        return new DiffSection(title, Lines(inline), Lines(sides.OldText), Lines(sides.NewText));
    }

    private static List<DiffLine> Lines(DiffPaneModel pane) => [.. pane.Lines.Select(l => new DiffLine(l.Type, l.Position, l.Text ?? ""))];
}
