namespace ControlPlane.Features.FinOps;

/// <summary>
/// Where a folder export may write: a relative path whose full form stays inside the configured export root
/// (no "..", no absolute path).
/// </summary>
public static class ExportFolder
{
    /// <summary>The full folder, or the problem in words.</summary>
    public static (string? Folder, string? Problem) Resolve(string? root, string? relative)
    {
        if (string.IsNullOrWhiteSpace(root)) return (null, $"Folder exports are off: set {FinOpsOptions.Section}:{nameof(FinOpsOptions.ExportRoot)}.");
        if (string.IsNullOrWhiteSpace(relative)) return (null, "Give the folder, under the export root.");
        var text = relative.Trim();
        if (Path.IsPathRooted(text) || text.Contains(':', StringComparison.Ordinal)) return (null, "Give a folder relative to the export root, not an absolute path.");
        if (text.Split('/', '\\').Any(part => part == "..")) return (null, "A folder may not climb out of the export root ('..').");
        var fullRoot = Path.GetFullPath(root);
        var folder = Path.GetFullPath(Path.Combine(fullRoot, text));
        var inside = fullRoot.EndsWith(Path.DirectorySeparatorChar) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        return folder.StartsWith(inside, StringComparison.Ordinal) || folder == fullRoot
            ? (folder, null) : (null, "The folder is outside the export root.");
    }
}
