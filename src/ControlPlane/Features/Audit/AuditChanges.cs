using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;

namespace ControlPlane.Features.Audit;

/// <summary>
/// The state of the entities an action changes, before and after, read from the EF change tracker so that callers of
/// <see cref="AuditLog.SaveAsync"/> never have to describe it. Each side is one JSON object: "Entity key" → { property:
/// value } (before: modified and deleted entities as loaded; after: added and modified ones as saved, with the keys the
/// database gave them). Secrets are redacted (<see cref="IsSecret"/>), so no secret ever lands in the chain.
/// </summary>
public sealed partial class AuditChanges
{
    public const string Redacted = "[secret]";
    public const string RedactedChanged = "[secret, changed]";

    private readonly List<(EntityEntry Entry, EntityState State, Dictionary<string, object?>? Before)> _changes;

    private AuditChanges(List<(EntityEntry, EntityState, Dictionary<string, object?>?)> changes) => _changes = changes;

    public bool Any => _changes.Count > 0;

    /// <summary>Notes the pending changes (except audit entries) and their original values; call before saving.</summary>
    public static AuditChanges Capture(DbContext db) =>
        new([.. db.ChangeTracker.Entries()
            .Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted && e.Entity is not AuditEntry)
            .Select(e => (e, e.State, e.State is EntityState.Added ? null : e.Properties.ToDictionary(p => p.Metadata.Name, p => p.OriginalValue)))]);

    /// <summary>The before and after JSON (null for a side with nothing in it); call after saving.</summary>
    public (string? Before, string? After) Describe()
    {
        if (!Any) return (null, null);
        var before = new SortedDictionary<string, SortedDictionary<string, object?>>(StringComparer.Ordinal);
        var after = new SortedDictionary<string, SortedDictionary<string, object?>>(StringComparer.Ordinal);
        foreach (var (entry, state, original) in _changes)
        {
            var name = NameOf(entry);
            if (original is not null)
                before[name] = Values(entry, original, null);
            if (state is not EntityState.Deleted)
                after[name] = Values(entry, entry.Properties.ToDictionary(p => p.Metadata.Name, p => p.CurrentValue), original);
        }
        return (before.Count == 0 ? null : JsonSerializer.Serialize(before), after.Count == 0 ? null : JsonSerializer.Serialize(after));
    }

    /// <summary>"ApiKey 0193…": the entity's type and its primary key as saved.</summary>
    private static string NameOf(EntityEntry entry) =>
        $"{entry.Metadata.ClrType.Name} {string.Join(",", entry.Metadata.FindPrimaryKey()!.Properties.Select(p => Convert.ToString(entry.Property(p.Name).CurrentValue, System.Globalization.CultureInfo.InvariantCulture)))}";

    private static SortedDictionary<string, object?> Values(EntityEntry entry, Dictionary<string, object?> values, Dictionary<string, object?>? before)
    {
        var result = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in entry.Metadata.GetProperties())
        {
            var value = values[property.Name];
            if (IsSecret(property) && value is not null)
                value = before is not null && !Equals(before[property.Name], values[property.Name]) ? RedactedChanged : Redacted;
            result[property.Name] = value;
        }
        return result;
    }

    /// <summary>
    /// A property the chain must not hold: marked <see cref="AuditSecretAttribute"/>, or (the fallback for what nobody
    /// marked) text or bytes named like a secret: *Secret*, *Password*, *Token* (not token counts: those are numbers),
    /// *Hash*, *Encrypted*, *Cipher*, or ending in Key.
    /// </summary>
    public static bool IsSecret(IReadOnlyProperty property) =>
        property.PropertyInfo?.GetCustomAttribute<AuditSecretAttribute>() is not null
        || (property.ClrType == typeof(string) || property.ClrType == typeof(byte[])) && SecretName().IsMatch(property.Name);

    [GeneratedRegex("Secret|Password|Token|Hash|Encrypted|Cipher|Key$")]
    private static partial Regex SecretName();
}
