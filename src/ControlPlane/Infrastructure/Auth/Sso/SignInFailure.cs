namespace ControlPlane.Infrastructure.Auth.Sso;

/// <summary>
/// Why a single sign-on ended without a session. The sign-in page is sent only the <see cref="Code"/> and shows the
/// message it stands for, so nobody can put words of their own on our page through a link.
/// </summary>
public sealed record SignInFailure(string Code, string Message)
{
    public static SignInFailure NoSubject { get; } = new("no-subject", "The identity provider did not say who you are (no subject). Ask your administrator to check the provider's set-up.");
    public static SignInFailure NoEmail { get; } = new("no-email", "The identity provider sent no e-mail address for you. Ask your administrator to release the email claim or attribute.");
    public static SignInFailure NoMappedGroup { get; } = new("no-group", "None of your groups gives access to ControlPlane. Ask your administrator to add you to a group that does.");
    public static SignInFailure SwitchedOff { get; } = new("switched-off", "Your access to ControlPlane is switched off. Ask an Owner to switch it back on.");
    public static SignInFailure Cancelled { get; } = new("cancelled", "Sign-in was cancelled or refused at the identity provider.");
    public static SignInFailure NotVerified { get; } = new("not-verified", "The identity provider's answer could not be verified, so you are not signed in. Start again from this page.");
    public static SignInFailure UnknownProvider { get; } = new("unknown-provider", "There is no identity provider by that name.");

    public static IReadOnlyList<SignInFailure> All { get; } = [NoSubject, NoEmail, NoMappedGroup, SwitchedOff, Cancelled, NotVerified, UnknownProvider];

    /// <summary>The message for a code from the query string, or null for a code we never send.</summary>
    public static string? MessageFor(string? code) => All.FirstOrDefault(f => f.Code == code)?.Message;
}
