using System.Text.Json;

namespace ControlPlane.Features.Audit;

/// <summary>One changed property of one entity in an entry: its value before and after (null: the entity did not exist).</summary>
public sealed record AuditChange(string Entity, string Property, string? Before, string? After);

/// <summary>What an entry changed, property by property, from its before and after JSON (see <see cref="AuditChanges"/>).</summary>
public static class AuditDiff
{
    /// <summary>Only the properties whose values differ (all of them for an entity added or deleted), in entity then property order.</summary>
    public static IReadOnlyList<AuditChange> Of(AuditEntry entry)
    {
        var before = Side(entry.Before);
        var after = Side(entry.After);
        var changes = new List<AuditChange>();
        foreach (var entity in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var was = before.GetValueOrDefault(entity);
            var now = after.GetValueOrDefault(entity);
            foreach (var property in (was?.Keys ?? Enumerable.Empty<string>()).Union(now?.Keys ?? Enumerable.Empty<string>()).Order(StringComparer.Ordinal))
            {
                var b = was is null ? null : Text(was.GetValueOrDefault(property));
                var a = now is null ? null : Text(now.GetValueOrDefault(property));
                if (was is not null && now is not null && b == a) continue;
                changes.Add(new AuditChange(entity, property, was is null ? null : b ?? "null", now is null ? null : a ?? "null"));
            }
        }
        return changes;
    }

    private static Dictionary<string, Dictionary<string, JsonElement>> Side(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, JsonElement>>>(json) ?? [];

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        _ => value.GetRawText(),
    };
}
