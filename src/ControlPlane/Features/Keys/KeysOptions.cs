using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Features.Keys;

/// <summary>The "Keys" section.</summary>
public sealed class KeysOptions
{
    public const string Section = "Keys";

    /// <summary>
    /// How often the gateway's key snapshot is reloaded from the database, which is how a revocation made on another
    /// node or by the command line reaches this node. New keys do not wait for it: a miss asks the database at once.
    /// </summary>
    [Range(1, 86_400)]
    public int RefreshSeconds { get; set; } = 5;
}
