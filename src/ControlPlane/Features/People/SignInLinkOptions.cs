using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Features.People;

/// <summary>The "Auth:SignInLinks" section: one-time sign-in links for the first Owner and break-glass access.</summary>
public sealed class SignInLinkOptions
{
    public const string Section = "Auth:SignInLinks";

    /// <summary>How long a link works after it is issued.</summary>
    [Range(1, 1440, ErrorMessage = "Auth:SignInLinks:Minutes must be between 1 and 1440.")]
    public int Minutes { get; set; } = 15;

    /// <summary>
    /// The address people open the dashboard at (e.g. https://controlplane.example.com), so the command line prints a
    /// whole link; unset, it prints the path to open on the app's address.
    /// </summary>
    [Url(ErrorMessage = "Auth:SignInLinks:PublicUrl must be an absolute URL such as https://controlplane.example.com.")]
    public string? PublicUrl { get; set; }
}
