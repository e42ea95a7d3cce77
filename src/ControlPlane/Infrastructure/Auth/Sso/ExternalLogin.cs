using ControlPlane.Features.People;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Infrastructure.Auth.Sso;

/// <summary>
/// Links an identity provider's subject to a person here. Once linked, the person is found by it, not by e-mail, so
/// a changed address at the provider still reaches the same person.
/// </summary>
public sealed class ExternalLogin
{
    /// <summary>The configured provider's name (the key under Auth:Oidc or Auth:Saml).</summary>
    public required string Provider { get; set; }
    /// <summary>The provider's stable id for the person (OIDC sub, SAML NameID).</summary>
    public required string Subject { get; set; }
    public Guid UserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime LastSignInAt { get; set; }
}

internal sealed class ExternalLoginConfiguration : IEntityTypeConfiguration<ExternalLogin>
{
    public void Configure(EntityTypeBuilder<ExternalLogin> login)
    {
        login.ToTable("external_logins");
        // One person per subject of a provider; a person may be linked at several providers.
        login.HasKey(l => new { l.Provider, l.Subject });
        login.Property(l => l.Provider).HasMaxLength(100);
        login.Property(l => l.Subject).HasMaxLength(256);
        login.HasIndex(l => l.UserId);
        login.HasOne<User>().WithMany().HasForeignKey(l => l.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
