using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ControlPlane.Infrastructure.Security;

/// <summary>The configured key-encryption certificate and the ones rotated out before it.</summary>
public sealed class KeyEncryptionCertificates
{
    /// <summary>Where Development keeps a generated certificate when none is configured (never used elsewhere).</summary>
    public const string DevelopmentFile = "data/dev-key-encryption.pfx";

    private KeyEncryptionCertificates(X509Certificate2 current, IReadOnlyList<X509Certificate2> previous, bool generated)
    {
        Current = current;
        Previous = previous;
        IsDevelopmentCertificate = generated;
    }

    public X509Certificate2 Current { get; }
    public IReadOnlyList<X509Certificate2> Previous { get; }
    public IEnumerable<X509Certificate2> All => Previous.Prepend(Current);
    public bool IsDevelopmentCertificate { get; }

    /// <summary>
    /// Loads the configured certificates. Outside Development a missing one stops the app with what to configure;
    /// in Development a self-signed one is made once under the content root, so every environment runs the same path.
    /// </summary>
    public static KeyEncryptionCertificates Load(KeyEncryptionOptions options, string environmentName, string contentRoot)
    {
        var previous = options.PreviousCertificates.Select((p, i) => Read(p.Path, p.Base64, p.Password, $"{KeyEncryptionOptions.Section}:PreviousCertificates:{i}")).ToList();
        if (options.CertificatePath is { Length: > 0 } || options.CertificateBase64 is { Length: > 0 })
            return new(Read(options.CertificatePath, options.CertificateBase64, options.CertificatePassword, KeyEncryptionOptions.Section), previous, generated: false);

        if (environmentName != Environments.Development)
            throw new InvalidOperationException(
                $"No key-encryption certificate is configured. Outside Development set {KeyEncryptionOptions.Section}:CertificatePath " +
                $"(a PFX file with an RSA private key; {KeyEncryptionOptions.Section}:CertificatePassword if it has one) or " +
                $"{KeyEncryptionOptions.Section}:CertificateBase64 (the PFX as base64, e.g. KeyEncryption__CertificateBase64 from a secret store). " +
                "It encrypts the key ring in the database and keys the audit chain; README \"Security\" says how to make and rotate one.");
        return new(DevelopmentCertificate(Path.Combine(contentRoot, DevelopmentFile)), previous, generated: true);
    }

    /// <summary>A short, stable name of a certificate's key: recorded with each audit entry so rotation stays verifiable.</summary>
    public static string KeyIdOf(X509Certificate2 certificate) =>
        Convert.ToHexStringLower(SHA256.HashData(certificate.GetPublicKey()))[..16];

    private static X509Certificate2 Read(string? path, string? base64, string? password, string setting)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = path is { Length: > 0 }
                ? X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet)
                : X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(base64!), password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is CryptographicException or IOException or FormatException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{setting}: the key-encryption certificate could not be read ({e.Message}). It must be a PFX with its private key, and the password must match.", e);
        }
        using var rsa = certificate.GetRSAPrivateKey();
        if (rsa is null)
            throw new InvalidOperationException($"{setting}: the key-encryption certificate '{certificate.Subject}' has no RSA private key; use an RSA (2048 bits or more) certificate with its private key.");
        return certificate;
    }

    private static X509Certificate2 DevelopmentCertificate(string file)
    {
        if (File.Exists(file)) return X509CertificateLoader.LoadPkcs12FromFile(file, null, X509KeyStorageFlags.EphemeralKeySet);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=ControlPlane development key encryption", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var made = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        // Written beside and moved into place: processes starting at once (test runs) agree on one certificate.
        var temporary = $"{file}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, made.Export(X509ContentType.Pfx));
        try { File.Move(temporary, file, overwrite: false); }
        catch (IOException) when (File.Exists(file)) { File.Delete(temporary); }
        return X509CertificateLoader.LoadPkcs12FromFile(file, null, X509KeyStorageFlags.EphemeralKeySet);
    }
}
