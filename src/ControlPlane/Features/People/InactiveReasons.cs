namespace ControlPlane.Features.People;

/// <summary>
/// Why a person is switched off (<see cref="User.InactiveReason"/>). Only someone switched off because they had lost
/// every mapped group is let back in by regaining one; an Owner's or the identity provider's (SCIM) decision stands.
/// </summary>
public static class InactiveReasons
{
    /// <summary>They signed in with no group that the role mappings name.</summary>
    public const string NoMappedGroup = "no-mapped-group";

    /// <summary>An Owner switched them off on the dashboard or the command line.</summary>
    public const string Owner = "owner";

    /// <summary>The identity provider deprovisioned them through SCIM.</summary>
    public const string Scim = "scim";

    /// <summary>What the People page says about a switched-off person.</summary>
    public static string Describe(string? reason) => reason switch
    {
        NoMappedGroup => "No group the role mappings name (signing in with one switches them back on).",
        Owner => "Switched off by an Owner (the audit trail says who and when).",
        Scim => "Deprovisioned by the identity provider (SCIM).",
        _ => "Switched off.",
    };

    /// <summary>Whether signing in with a mapped group again may switch the person back on.</summary>
    public static bool LiftedBySignIn(string? reason) => reason == NoMappedGroup;
}
