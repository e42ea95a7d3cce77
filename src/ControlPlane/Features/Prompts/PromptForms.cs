using System.Text.RegularExpressions;

namespace ControlPlane.Features.Prompts;

/// <summary>A version as typed on the page or read from an import: messages, default model and parameters, change note.</summary>
public sealed class VersionForm
{
    public List<PromptMessage> Messages { get; set; } = [new("system", ""), new("user", "")];
    public string? Model { get; set; }
    /// <summary>A JSON object, e.g. {"temperature": 0.2, "max_tokens": 400}; blank for none.</summary>
    public string? Parameters { get; set; }
    public string ChangeNote { get; set; } = "";

    public static VersionForm CopyOf(PromptVersion version) => new()
    {
        Messages = [.. PromptTemplate.Parse(version.Messages)],
        Model = version.Model,
        Parameters = version.Parameters,
        ChangeNote = "",
    };

    /// <summary>What to fix, or null; <paramref name="parameters"/> is the normalized parameters object.</summary>
    public string? Problem(out string? parameters)
    {
        parameters = null;
        if (PromptTemplate.Problem(Messages) is { } messages) return messages;
        if (Model?.Trim().Length > 200) return "A model name is at most 200 characters.";
        var (normalized, problem) = PromptTemplate.Parameters(Parameters);
        if (problem is not null) return problem;
        parameters = normalized;
        if (string.IsNullOrWhiteSpace(ChangeNote)) return "Say what changed in this version (the change note).";
        if (ChangeNote.Trim().Length > PromptVersion.MaxNoteLength) return $"A change note is at most {PromptVersion.MaxNoteLength} characters.";
        return null;
    }
}

/// <summary>A new prompt: its name, owner team, approval and sharing settings and its first version.</summary>
public sealed partial class PromptForm
{
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public Guid OwnerTeamId { get; set; }
    public bool RequiresApproval { get; set; } = true;
    public bool Shared { get; set; }
    public VersionForm FirstVersion { get; set; } = new() { ChangeNote = "First version" };

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>Lower-case letters, digits, '.', '_' and '-': a name callers type into code and headers.</summary>
    public static string? NameProblem(string name) =>
        string.IsNullOrWhiteSpace(name) ? "Give the prompt a name."
        : name.Length > Prompt.MaxNameLength ? $"A name is at most {Prompt.MaxNameLength} characters."
        : !NamePattern().IsMatch(name) ? "A name uses lower-case letters, digits, '.', '_' and '-' only (it goes into code and headers), e.g. support-reply."
        : null;

    public string? Problem() =>
        NameProblem(Name.Trim())
        ?? (Description?.Trim().Length > Prompt.MaxDescriptionLength ? $"A description is at most {Prompt.MaxDescriptionLength} characters." : null)
        ?? (OwnerTeamId == Guid.Empty ? "Choose the team that owns the prompt." : null);
}

public static partial class LabelNames
{
    [GeneratedRegex("^[a-z][a-z0-9_-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex("^v[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionLike();

    /// <summary>Lower-case, starting with a letter, and never "v3"-like (that names a version in a reference).</summary>
    public static string? Problem(string label) =>
        string.IsNullOrWhiteSpace(label) ? "Name the label."
        : label.Length > PromptLabel.MaxNameLength ? $"A label is at most {PromptLabel.MaxNameLength} characters."
        : !Pattern().IsMatch(label) ? "A label uses lower-case letters, digits, '_' and '-', starting with a letter."
        : VersionLike().IsMatch(label) ? $"'{label}' would read as a version number in a prompt reference; choose another label."
        : null;
}
