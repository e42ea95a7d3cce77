using ControlPlane.Features.Keys;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// Which calls of an alias an experiment or shadow test takes: those of keys in a team's subtree (null: any team), of
/// one project, and carrying a tag in X-ControlPlane-Tags (comma-separated, case-insensitive).
/// </summary>
public sealed record CallScope(IReadOnlySet<Guid>? Teams, Guid? ProjectId, string? Tag)
{
    public const string TagsHeader = "X-ControlPlane-Tags";

    public bool Matches(KeyEntry key, string? tagsHeader)
    {
        if (Teams is not null && !Teams.Contains(key.TeamId)) return false;
        if (ProjectId is { } project && key.ProjectId != project) return false;
        return Tag is null || HasTag(tagsHeader, Tag);
    }

    public static bool HasTag(string? header, string tag)
    {
        if (string.IsNullOrEmpty(header)) return false;
        foreach (var part in header.AsSpan().Split(','))
            if (header.AsSpan()[part].Trim().Equals(tag, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
