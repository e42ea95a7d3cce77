namespace ControlPlane.Infrastructure.Security;

/// <summary>
/// The key-encryption key: an X.509 certificate with an RSA private key, held outside the database. It encrypts the
/// Data Protection key ring at rest (so a copy of the database decrypts no provider key and mints no cookie) and keys
/// the audit chain's HMAC. Section <c>KeyEncryption</c>.
/// </summary>
public sealed class KeyEncryptionOptions
{
    public const string Section = "KeyEncryption";

    /// <summary>A PFX file with the certificate and its private key.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The same PFX as base64, for secret stores that hand out environment variables.</summary>
    public string? CertificateBase64 { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>Certificates rotated out: still used to decrypt old keys and verify old audit entries, never to encrypt.</summary>
    public List<PreviousCertificate> PreviousCertificates { get; set; } = [];

    public sealed class PreviousCertificate
    {
        public string? Path { get; set; }
        public string? Base64 { get; set; }
        public string? Password { get; set; }
    }
}
