using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ControlPlane.Infrastructure.Security;

namespace ControlPlane.Features.Audit;

/// <summary>
/// The HMAC keys of the audit chain, one per key-encryption certificate. A key is derived from the certificate's RSA
/// private key (a deterministic PKCS#1 signature of a fixed label, hashed), so it is never stored: whoever can write
/// the database but lacks the certificate cannot compute a valid entry. Entries name their key, so a rotated-out
/// certificate (KeyEncryption:PreviousCertificates) still verifies the entries it signed.
/// </summary>
public sealed class AuditChainKeys
{
    private static readonly byte[] Label = Encoding.UTF8.GetBytes("ControlPlane audit chain key v1");
    private readonly Dictionary<string, byte[]> _keys;

    public AuditChainKeys(KeyEncryptionCertificates certificates)
    {
        _keys = certificates.All.ToDictionary(KeyEncryptionCertificates.KeyIdOf, Derive);
        CurrentId = KeyEncryptionCertificates.KeyIdOf(certificates.Current);
    }

    /// <summary>The key new entries are made with.</summary>
    public string CurrentId { get; }

    /// <summary>Every key, by id (the current one and those of rotated-out certificates): what an outside verifier needs.</summary>
    public IReadOnlyDictionary<string, byte[]> All => _keys;

    public byte[]? Find(string keyId) => _keys.GetValueOrDefault(keyId);

    public byte[] Current => _keys[CurrentId];

    private static byte[] Derive(X509Certificate2 certificate)
    {
        using var rsa = certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException($"The certificate '{certificate.Subject}' has no RSA private key.");
        return SHA256.HashData(rsa.SignData(Label, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }
}
