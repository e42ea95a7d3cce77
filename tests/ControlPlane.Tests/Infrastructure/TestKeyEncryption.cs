using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>Key-encryption certificates for apps started outside Development, made in memory per test run.</summary>
public static class TestKeyEncryption
{
    private static readonly Lazy<string> Shared = new(NewCertificateBase64);

    /// <summary>The settings that hand an app the shared test certificate, as an operator's secret store would.</summary>
    public static Dictionary<string, string?> Settings(string? base64 = null) => new()
    {
        ["KeyEncryption:CertificateBase64"] = base64 ?? Shared.Value,
    };

    public static string NewCertificateBase64()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=ControlPlane test key encryption", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        return Convert.ToBase64String(certificate.Export(X509ContentType.Pfx));
    }
}
