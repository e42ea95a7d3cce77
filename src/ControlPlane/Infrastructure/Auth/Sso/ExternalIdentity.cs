namespace ControlPlane.Infrastructure.Auth.Sso;

/// <summary>
/// What an identity provider vouched for, once its protocol handler (OIDC or SAML) has checked the token or assertion.
/// Everything after this point (who the person is here, which role they get) is protocol-neutral.
/// </summary>
/// <param name="Provider">The configured provider's name (the key under <c>Auth:Oidc</c> or <c>Auth:Saml</c>).</param>
/// <param name="Subject">The provider's stable id for the person (OIDC <c>sub</c>, SAML NameID).</param>
/// <param name="Email">The person's e-mail address; it links them to an existing person here.</param>
/// <param name="DisplayName">Their name as the provider has it.</param>
/// <param name="Groups">Group names or app roles from the provider's groups claim or attribute.</param>
public sealed record ExternalIdentity(string Provider, string Subject, string Email, string DisplayName, IReadOnlyList<string> Groups);
