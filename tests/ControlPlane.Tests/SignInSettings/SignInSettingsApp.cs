using ControlPlane.Features.People;
using ControlPlane.Tests.Components;

namespace ControlPlane.Tests.SignInSettings;

/// <summary>The dashboard app with one OIDC and one SAML provider (never contacted: closed loopback ports) and mapping rules.</summary>
public sealed class SignInSettingsApp : DashboardApp
{
    public const string OktaSecret = "okta-client-secret-never-shown";

    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Auth:Oidc:okta:DisplayName"] = "Acme Okta",
        ["Auth:Oidc:okta:Authority"] = "https://127.0.0.1:9/oauth2/default",
        ["Auth:Oidc:okta:ClientId"] = "controlplane",
        ["Auth:Oidc:okta:ClientSecret"] = OktaSecret,
        ["Auth:Oidc:okta:GroupsClaim"] = "cp_groups",
        ["Auth:Saml:adfs:DisplayName"] = "Acme ADFS",
        ["Auth:Saml:adfs:IdpMetadataUrl"] = "https://127.0.0.1:9/FederationMetadata.xml",
        ["Auth:Saml:adfs:SpEntityId"] = "https://cp.acme.test/saml",
        ["Auth:RoleMappings:Rules:0:Group"] = "cp-admins",
        ["Auth:RoleMappings:Rules:0:Role"] = Roles.Admin,
        ["Auth:RoleMappings:Rules:1:Group"] = "cp-platform-leads",
        ["Auth:RoleMappings:Rules:1:Team"] = "Platform",
        ["Auth:RoleMappings:Rules:1:TeamRole"] = "Lead",
        ["Auth:RoleMappings:Rules:2:Group"] = "cp-auditors",
        ["Auth:RoleMappings:Rules:2:Role"] = Roles.Auditor,
        ["Auth:RoleMappings:Rules:2:Provider"] = "adfs",
    };
}
