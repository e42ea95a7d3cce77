using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.People;

/// <summary>A person who signs in. Their organisation-wide role is one of <see cref="Roles"/>.</summary>
public sealed class User
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public required string Email { get; set; }
    public required string DisplayName { get; set; }
    public required string Role { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The dashboard's theme follows the person, not the browser (the shell reads and writes it).</summary>
    public bool PrefersDarkTheme { get; set; }
    /// <summary>Every session carries the version it was issued under; raising it ends them all (SessionCheck).</summary>
    public int SessionVersion { get; set; }
    /// <summary>
    /// False once the identity provider deprovisions the person or they lose every mapped group: their sessions are
    /// refused and they cannot sign in, but their keys' history and audit entries stay whole.
    /// </summary>
    public bool IsActive { get; set; } = true;
    /// <summary>Why <see cref="IsActive"/> is false (<see cref="InactiveReasons"/>); null while active.</summary>
    public string? InactiveReason { get; set; }
    /// <summary>How the person last signed in: "sso:{provider}", "link" or "dev" (the session's authentication method).</summary>
    public string? LastSignInMethod { get; set; }
    public DateTime? LastSignInAt { get; set; }
}

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> user)
    {
        user.ToTable("users");
        user.HasKey(u => u.Id);
        user.Property(u => u.Email).HasMaxLength(320);
        user.Property(u => u.DisplayName).HasMaxLength(200);
        user.Property(u => u.Role).HasMaxLength(32);
        user.Property(u => u.PrefersDarkTheme).HasDefaultValue(false);
        user.Property(u => u.SessionVersion).HasDefaultValue(0);
        // The default fills existing rows; EF always writes the value, so a new inactive person stays inactive.
        user.Property(u => u.IsActive).HasDefaultValue(true).ValueGeneratedNever();
        user.Property(u => u.InactiveReason).HasMaxLength(32);
        user.Property(u => u.LastSignInMethod).HasMaxLength(64);
        user.HasIndex(u => u.Email).IsUnique();
        user.HasOne<Organization>().WithMany().HasForeignKey(u => u.OrganizationId).OnDelete(DeleteBehavior.Restrict);
    }
}
