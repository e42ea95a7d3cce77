using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using ControlPlane.Infrastructure.Security;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Infrastructure.Data;

/// <summary>One Data Protection key, as XML. The key ring lives in the database so every node shares it.</summary>
public sealed class DataProtectionKey
{
    public Guid Id { get; set; }
    public string? FriendlyName { get; set; }
    [ControlPlane.Features.Audit.AuditSecret]
    public required string Xml { get; set; }
}

internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> key)
    {
        key.ToTable("data_protection_keys");
        key.HasKey(k => k.Id);
        key.Property(k => k.FriendlyName).HasMaxLength(200);
    }
}

/// <summary>
/// Stores the Data Protection key ring in our database so every node shares it. Each key's secret is encrypted with
/// the key-encryption certificate before it is stored; a key found stored in the clear (written before a certificate
/// was configured) is encrypted and rewritten on first read, so nothing is lost and no clear secret stays behind.
/// </summary>
internal sealed class DatabaseXmlRepository(IDbContextFactory<ControlPlaneDb> dbFactory, IXmlEncryptor encryptor) : IXmlRepository
{
    private static readonly XNamespace DataProtection = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly XName RequiresEncryption = DataProtection + "requiresEncryption";
    private static readonly XName EncryptedSecret = DataProtection + "encryptedSecret";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var db = dbFactory.CreateDbContext();
        var rows = db.DataProtectionKeys.ToList();
        var elements = new List<XElement>(rows.Count);
        foreach (var row in rows)
        {
            var element = XElement.Parse(row.Xml);
            if (EncryptClearSecrets(element))
                row.Xml = element.ToString(SaveOptions.DisableFormatting);
            elements.Add(element);
        }
        db.SaveChanges();
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var db = dbFactory.CreateDbContext();
        db.DataProtectionKeys.Add(new DataProtectionKey { Id = Guid.NewGuid(), FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }

    /// <summary>Replaces every element marked requiresEncryption with its encrypted form, as the key manager would have.</summary>
    private bool EncryptClearSecrets(XElement key)
    {
        var clear = key.Descendants().Where(e => (bool?)e.Attribute(RequiresEncryption) == true).ToList();
        foreach (var secret in clear)
        {
            var encrypted = encryptor.Encrypt(new XElement(secret));
            secret.ReplaceWith(new XElement(EncryptedSecret,
                new XAttribute("decryptorType", encrypted.DecryptorType.AssemblyQualifiedName!), encrypted.EncryptedElement));
        }
        return clear.Count > 0;
    }
}

public static class DataProtectionSetup
{
    /// <summary>The key ring in the database, encrypted with the key-encryption certificate (see KeyEncryptionOptions).</summary>
    public static WebApplicationBuilder AddKeyRing(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(KeyEncryptionOptions.Section).Get<KeyEncryptionOptions>() ?? new();
        var certificates = KeyEncryptionCertificates.Load(options, builder.Environment.EnvironmentName, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(certificates);
        builder.Services.AddDataProtection()
            .SetApplicationName("ControlPlane")
            .ProtectKeysWithCertificate(certificates.Current)
            .UnprotectKeysWithAnyCertificate([.. certificates.All]);
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<IDbContextFactory<ControlPlaneDb>, ILoggerFactory>((keys, dbFactory, logs) =>
                keys.XmlRepository = new DatabaseXmlRepository(dbFactory, new CertificateXmlEncryptor(certificates.Current, logs)));
        return builder;
    }
}
