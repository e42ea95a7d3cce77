using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Security;

/// <summary>
/// The key ring in the database is encrypted with a certificate held outside it: a copy of the database (a backup,
/// the SQLite file) decrypts no provider key and mints no cookie without that certificate.
/// </summary>
public sealed class KeyRingEncryptionTests : IAsyncLifetime
{
    private const string Purpose = "ControlPlane.ProviderSecrets.v1";
    private readonly string _certificate = TestKeyEncryption.NewCertificateBase64();
    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_copied_key_ring_without_the_certificate_cannot_decrypt_what_the_app_protected()
    {
        string secret;
        List<XElement> copiedRing;
        await using (var app = new AppFactory(_database, environment: "Production", seedDemoData: false, settings: TestKeyEncryption.Settings(_certificate)))
        {
            secret = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Protect("sk-provider-key-1234");
            await using var db = app.OpenDb();
            copiedRing = [.. (await db.DataProtectionKeys.Select(k => k.Xml).ToListAsync()).Select(XElement.Parse)];
        }

        Assert.NotEmpty(copiedRing);
        Assert.All(copiedRing, key =>
        {
            Assert.NotEmpty(Named(key, "encryptedSecret"));
            Assert.Empty(Named(key, "masterKey"));
        });

        using var withoutCertificate = RingReader(copiedRing, certificate: null);
        Assert.ThrowsAny<CryptographicException>(() => withoutCertificate.GetDataProtector(Purpose).Unprotect(secret));
        // The same copy with the certificate reads it: what stops the attacker is the certificate, nothing else.
        using var withCertificate = RingReader(copiedRing, _certificate);
        Assert.Equal("sk-provider-key-1234", withCertificate.GetDataProtector(Purpose).Unprotect(secret));
    }

    [Fact]
    public async Task Keys_stored_in_the_clear_before_a_certificate_was_configured_are_encrypted_and_still_read()
    {
        // An older deployment: a key ring written without any key-encryption key, and a secret protected with it.
        var folder = Directory.CreateTempSubdirectory("cp-ring-");
        string secret;
        using (var legacy = ServicesFor(folder, certificate: null))
            secret = legacy.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Protect("sk-legacy-5678");
        var clearKey = XElement.Load(folder.GetFiles("*.xml").Single().FullName);
        Assert.NotEmpty(Named(clearKey, "masterKey"));
        await using (var db = new ControlPlaneDb(_database.ContextOptions()))
        {
            await db.Database.MigrateAsync();
            db.DataProtectionKeys.Add(new DataProtectionKey { Id = Guid.NewGuid(), FriendlyName = "legacy", Xml = clearKey.ToString() });
            await db.SaveChangesAsync();
        }

        await using var app = new AppFactory(_database, environment: "Production", seedDemoData: false, settings: TestKeyEncryption.Settings(_certificate));

        Assert.Equal("sk-legacy-5678", app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Unprotect(secret));
        await using var check = app.OpenDb();
        var stored = XElement.Parse((await check.DataProtectionKeys.SingleAsync(k => k.FriendlyName == "legacy")).Xml);
        Assert.Empty(Named(stored, "masterKey"));
        Assert.NotEmpty(Named(stored, "encryptedSecret"));
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task Outside_Development_the_app_refuses_to_start_without_a_certificate_and_says_what_to_set()
    {
        await using var app = new AppFactory(_database, environment: "Production", seedDemoData: false,
            settings: new Dictionary<string, string?> { ["KeyEncryption:CertificatePath"] = "" });

        var error = Assert.ThrowsAny<Exception>(() => app.Services);

        var message = string.Join(" | ", Unwrap(error).Select(e => e.Message));
        Assert.Contains("KeyEncryption:CertificatePath", message, StringComparison.Ordinal);
        Assert.Contains("KeyEncryption:CertificateBase64", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_without_its_private_key_is_refused_at_start()
    {
        using var full = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(_certificate), null);
        using var stripped = X509CertificateLoader.LoadCertificate(full.RawData);
        var noKey = Convert.ToBase64String(stripped.Export(X509ContentType.Pfx));

        await using var app = new AppFactory(_database, environment: "Production", seedDemoData: false, settings: TestKeyEncryption.Settings(noKey));

        var error = Assert.ThrowsAny<Exception>(() => app.Services);
        Assert.Contains(Unwrap(error), e => e.Message.Contains("no RSA private key", StringComparison.Ordinal));
    }

    private static IEnumerable<XElement> Named(XElement key, string localName) => key.Descendants().Where(e => e.Name.LocalName == localName);

    private static IEnumerable<Exception> Unwrap(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException) yield return e;
    }

    /// <summary>What an attacker holding a copy of the ring would build: Data Protection over the copied keys.</summary>
    private static ServiceProvider RingReader(IEnumerable<XElement> ring, string? certificate)
    {
        var folder = Directory.CreateTempSubdirectory("cp-copied-ring-");
        foreach (var key in ring) key.Save(Path.Combine(folder.FullName, $"key-{Guid.NewGuid()}.xml"));
        return ServicesFor(folder, certificate);
    }

    private static ServiceProvider ServicesFor(DirectoryInfo folder, string? certificate)
    {
        var services = new ServiceCollection();
        var protection = services.AddDataProtection().SetApplicationName("ControlPlane").PersistKeysToFileSystem(folder);
        if (certificate is not null)
            protection.UnprotectKeysWithAnyCertificate(X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(certificate), null));
        return services.BuildServiceProvider();
    }
}
